import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { api, ApiError, must, signInUrl, type Me } from "../api/client";

export const SessionContext = createContext<Me | null>(null);

export function useMe(): Me | null {
  return useContext(SessionContext);
}

export function canEdit(me: Me | null): boolean {
  return me?.role === "editor" || me?.role === "admin";
}

export function isAdmin(me: Me | null): boolean {
  return me?.role === "admin";
}

export function redirectToSignIn(): void {
  window.location.assign(signInUrl());
}

/** Loads who is signed in (GET /api/v1/me/); a 401 or 403 sends the browser to the sign-in page. */
export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: ReactNode }) {
  const me = useQuery({
    queryKey: ["me"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/me/", { signal })),
    staleTime: 5 * 60_000,
    retry: false,
  });
  if (me.error instanceof ApiError && (me.error.status === 401 || me.error.status === 403)) {
    redirectToSignIn();
    return <>{fallback}</>;
  }
  if (me.isPending) return <>{fallback}</>;
  if (me.error) {
    return (
      <main className="mx-auto max-w-lg p-10">
        <h1 className="text-xl font-semibold">Roster is unavailable</h1>
        <p role="alert" className="mt-2 text-sm text-slate-700">{me.error.message}</p>
        <button type="button" className="btn-secondary mt-4" onClick={() => me.refetch()}>Try again</button>
      </main>
    );
  }
  return <SessionContext.Provider value={me.data ?? null}>{children}</SessionContext.Provider>;
}
