"""SQS queues.

Incrementally, a queue an earlier run read (same URL) is marked seen without GetQueueAttributes and
ListQueueTags: ListQueues tells nothing else, so its stored tags hold until a full scan reads them again."""
from __future__ import annotations

from discovery.facts import SQS_QUEUE

from .arns import sqs_arn_from_url
from .run import Records, ScanRun, tags_dict


def scan_sqs(run: ScanRun) -> Records:
    # ListQueues only returns a NextToken when MaxResults is set, hence the page size.
    def describe(url: str) -> tuple[str, dict[str, str]]:
        queue_attributes = run.optional(url, lambda: run.call(
            "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]).get("Attributes", {}), {})
        arn = (queue_attributes or {}).get("QueueArn") or sqs_arn_from_url(url, run.region, run.account)
        tags = run.optional(arn, lambda: tags_dict(run.call("sqs", "list_queue_tags", QueueUrl=url).get("Tags")), {})
        return arn, tags

    known = run.known.queue_arns() if run.known else {}
    for urls in run.page_lists("sqs", "list_queues", "QueueUrls", page_size=1000):
        for url in urls:
            if url in known:
                yield run.seen(known[url])
        unread = [url for url in urls if url not in known]
        for url, (arn, tags) in zip(unread, run.parallel(unread, describe)):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            yield run.fact(SQS_QUEUE, arn, name, {"url": url, "fifo": name.endswith(".fifo")}, tags, "sqs:ListQueues")
