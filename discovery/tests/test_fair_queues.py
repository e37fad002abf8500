"""Fair queuing across tenants, on the real Redis broker: a discovery job goes to its tenant's shard, and a
consumer of every shard (what a worker is) takes them in turn, so one tenant's pile of queued jobs does not
hold another tenant's few back."""
from discovery.tests.conftest import take_in_order
from portal import queues


def schemas_on_different_shards() -> tuple[str, str]:
    big = "tenant_big"
    small = next(f"tenant_small_{n}" for n in range(100)
                 if queues.discovery_shard(f"tenant_small_{n}") != queues.discovery_shard(big))
    return big, small


def test_a_job_goes_to_its_tenants_shard_and_nothing_else_is_sharded():
    shard = queues.discovery_shard("acme")
    assert shard == queues.discovery_shard("acme") and shard.startswith("discovery.")
    assert queues.route("discovery.run_job", ["acme", "ws", "run", "job"], {}, {}) == {"queue": shard}
    assert queues.route("discovery.finish_runs", ["acme", "ws", [], None], {}, {}) is None
    assert queues.route("discovery.run_job", [], {}, {}) is None  # malformed: the app's routes decide
    names = queues.worker_queues().split(",")
    assert {"default", "discovery", "catalog"} <= set(names)
    assert {f"discovery.{n}" for n in range(queues.SHARDS)} <= set(names)
    assert len({queues.discovery_shard(f"tenant-{n}") for n in range(200)}) == queues.SHARDS  # all used


def test_a_small_tenants_jobs_are_not_held_behind_a_big_tenants_pile(broker):
    app, declared = broker
    big, small = schemas_on_different_shards()
    for n in range(60):
        app.send_task("discovery.run_job", args=[big, "ws", "run-big", f"job-{n}"])
    for n in range(3):
        app.send_task("discovery.run_job", args=[small, "ws", "run-small", f"job-{n}"])

    order = take_in_order(app, declared, 63)
    smalls = [i for i, args in enumerate(order) if small in args]
    assert len(smalls) == 3
    # In turn with the big tenant's shard: the small tenant's last job is among the first few, not the 63rd.
    assert smalls[-1] < 10, order[:12]
