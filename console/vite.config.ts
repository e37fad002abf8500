/// <reference types="vitest" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into dist/ and served by Django (WhiteNoise) under /static/console/; index.html by portal.console.
// `npm run dev` proxies the API, sign-in and admin to a running Roster (ROSTER_URL, e.g. the demo's tenant).
const target = process.env.ROSTER_URL ?? "http://sample-company.localhost:8000";

export default defineConfig({
  base: "/static/console/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: Object.fromEntries(["/api", "/accounts", "/admin", "/static/admin"].map((p) => [p, { target, changeOrigin: true }])),
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
  },
});
