import { useQuery } from "@tanstack/react-query";
import { api, must } from "../api/client";

/** Every team (a tenant has tens to hundreds; the API gives up to 500 a page). */
export function useTeams() {
  return useQuery({
    queryKey: ["teams", "all"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/teams/", { params: { query: { limit: 500 } }, signal })),
    staleTime: 60_000,
  });
}
