import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router-dom";
import { Shell } from "./components/Shell";
import { Loading, Page } from "./components/ui";
import { SessionProvider } from "./lib/session";
import { Home } from "./pages/Home";

const Services = lazy(() => import("./pages/Services"));
const ServicePage = lazy(() => import("./pages/ServicePage"));
const Teams = lazy(() => import("./pages/Teams"));
const TeamPage = lazy(() => import("./pages/TeamPage"));
const Runs = lazy(() => import("./pages/Runs"));
const RunPage = lazy(() => import("./pages/RunPage"));
const Onboarding = lazy(() => import("./pages/Onboarding"));

function NotFound() {
  return (
    <Page title="Page not found">
      <p className="text-sm text-slate-700">There is nothing at this address. <a className="link" href="/">Go home</a>.</p>
    </Page>
  );
}

export function App() {
  const fallback = <main className="p-10"><h1 className="sr-only">Roster</h1><Loading /></main>;
  return (
    <SessionProvider fallback={fallback}>
      <Shell>
        <Suspense fallback={fallback}>
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/services" element={<Services />} />
            <Route path="/services/:id" element={<ServicePage />} />
            <Route path="/teams" element={<Teams />} />
            <Route path="/teams/:slug" element={<TeamPage />} />
            <Route path="/runs" element={<Runs />} />
            <Route path="/runs/:id" element={<RunPage />} />
            <Route path="/onboarding" element={<Onboarding />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Shell>
    </SessionProvider>
  );
}
