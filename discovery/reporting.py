"""Plain-data views of runs, shared by the operator commands."""


def run_rows(runs) -> list[dict]:
    return [
        {
            "id": str(run.pk),
            "kind": run.kind,
            "connection": run.connection.name if run.connection_id else None,
            "connection_id": str(run.connection_id) if run.connection_id else None,
            "status": run.status,
            "trigger": run.trigger,
            "selection_hash": run.selection_hash,
            "total": run.total,
            "processed": run.processed,
            "succeeded": run.succeeded,
            "failed": run.failed,
            "skipped": run.skipped,
            "facts": (run.stats or {}).get("facts", 0),
            "stats": run.stats,
            "failures": run.failures,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "duration_seconds": round(run.duration_seconds, 2) if run.duration_seconds is not None else None,
        }
        for run in runs
    ]
