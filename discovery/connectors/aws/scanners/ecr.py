"""ECR repositories.

Incrementally, a repository an earlier run read (same ARN and creation time) is marked seen without its
ListTagsForResource: DescribeRepositories tells nothing else, so its stored tags hold until a full scan."""
from __future__ import annotations

from discovery.facts import ECR_REPOSITORY

from .run import Records, ScanRun, iso_time, tags_dict


def scan_ecr(run: ScanRun) -> Records:
    for repos in run.page_lists("ecr", "describe_repositories", "repositories", page_size=1000):
        unread = []
        for repo in repos:
            if run.unchanged(ECR_REPOSITORY, repo["repositoryArn"], {"created_at": iso_time(repo.get("createdAt"))}):
                yield run.seen(repo["repositoryArn"])
            else:
                unread.append(repo)
        all_tags = run.parallel(unread, lambda r: run.optional(r["repositoryArn"], lambda: tags_dict(
            run.call("ecr", "list_tags_for_resource", resourceArn=r["repositoryArn"]).get("tags")), {}))
        for repo, tags in zip(unread, all_tags):
            yield run.fact(ECR_REPOSITORY, repo["repositoryArn"], repo["repositoryName"],
                           {"uri": repo.get("repositoryUri"), "created_at": iso_time(repo.get("createdAt"))}, tags,
                           "ecr:DescribeRepositories")
