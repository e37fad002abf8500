import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, errorMessage, type Schemas } from "../api/client";

export type DiscoverResponse = Schemas["DiscoverResponse"];

/** Start discovery: POST /api/v1/discovery/run/ (every connection) or /connections/{id}/discover/ (one).
 *  A 409 (everything asked for is being scanned already) is an answer too: its runs are the active ones. */
export function useDiscover() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (connection?: string | null): Promise<{ body: DiscoverResponse; already: boolean }> => {
      const { data, error, response } = connection
        ? await api.POST("/api/v1/connections/{id}/discover/", { params: { path: { id: connection } }, body: {} })
        : await api.POST("/api/v1/discovery/run/", { body: {} });
      const body = (data ?? error) as DiscoverResponse | undefined;
      if (response.status === 409 && body && "already_active" in body) return { body, already: true };
      if (!response.ok || !data) throw new ApiError(response.status, errorMessage(error, response.status), error);
      return { body: data, already: false };
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["runs"] }),
  });
}

export function firstRunId(answer: { body: DiscoverResponse; already: boolean }): string | undefined {
  const b = answer.body;
  return (answer.already ? b.already_active[0]?.id : b.runs[0]?.id ?? b.reconcile_run?.id) ?? undefined;
}

export const LIVE = new Set(["queued", "running"]);

export function statusText(status: string): string {
  return status ? status[0].toUpperCase() + status.slice(1) : "";
}
