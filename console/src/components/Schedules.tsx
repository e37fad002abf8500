import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, must } from "../api/client";
import { isAdmin, useMe } from "../lib/session";
import { Card, when } from "./ui";

/** When each connection is read again on its own (editors see it; admins pause and resume). */
export default function Schedules() {
  const me = useMe();
  const queryClient = useQueryClient();
  const schedules = useQuery({
    queryKey: ["schedules"],
    queryFn: ({ signal }) => must(api.GET("/api/v1/schedules/", { signal, params: { query: { limit: 100 } } })),
  });
  const toggle = useMutation({
    mutationFn: ({ id, paused }: { id: number; paused: boolean }) => must(paused
      ? api.POST("/api/v1/schedules/{id}/resume/", { params: { path: { id } } })
      : api.POST("/api/v1/schedules/{id}/pause/", { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["schedules"] }),
  });
  const rows = schedules.data?.results ?? [];
  if (schedules.isError || rows.length === 0) return null;
  return (
    <Card title="Schedules" id="schedules" className="mb-6">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">When each connection is read again</caption>
        <thead className="text-xs uppercase tracking-wide text-slate-600">
          <tr><th scope="col" className="py-1 pr-3">Connection</th><th scope="col" className="py-1 pr-3">Incremental</th>
            <th scope="col" className="py-1 pr-3">Full</th><th scope="col" className="py-1 pr-3">Last</th>{isAdmin(me) && <th scope="col" className="py-1"><span className="sr-only">Actions</span></th>}</tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id} className="border-t border-slate-100">
              <td className="py-1 pr-3 font-medium">{s.connection_name}{s.paused && <span className="ml-2 text-xs text-amber-800">paused</span>}</td>
              <td className="py-1 pr-3">every {s.incremental_every_hours} h · next {s.paused ? "—" : when(s.next_incremental_at)}</td>
              <td className="py-1 pr-3">every {s.full_every_hours} h · next {s.paused ? "—" : when(s.next_full_at)}</td>
              <td className="py-1 pr-3 text-slate-600">{s.last_outcome || "—"}</td>
              {isAdmin(me) && (
                <td className="py-1 text-right">
                  <button type="button" className="btn-secondary" disabled={toggle.isPending}
                    onClick={() => toggle.mutate({ id: s.id, paused: Boolean(s.paused) })}>
                    {s.paused ? `Resume ${s.connection_name}` : `Pause ${s.connection_name}`}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
