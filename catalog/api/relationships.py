"""A service's relationships, for the console's small graph: its AWS resources and its repository as nodes,
and as edges the links discovery stored between them (an API integrates a function, a queue triggers it, an
ECS service uses an image) plus the image built from the repository when that is how the repository was linked.
Read-only, from stored data: one query for the links, however many resources."""
from django.db.models import F
from rest_framework import serializers

from discovery.facts import ECR_REPOSITORY, GH_REPO
from discovery.models import FactLink

BUILT_FROM = "built_from"  # not a stored link: catalog.reconcile.repository_links' "ecr_image" rule said so


class NodeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="the ARN, or github:repo/{org}/{name} for the repository")
    kind = serializers.CharField()
    name = serializers.CharField()


class EdgeSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="a node's id")
    relation = serializers.CharField(help_text="integrates, triggers, uses_image, runs_in, watches, contains, "
                                               "built_from")
    target = serializers.CharField(help_text="a node's id")


class RelationshipsSerializer(serializers.Serializer):
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)


def relationships(service, resources) -> dict:
    """{"nodes", "edges"} of ``service`` whose claimed resources are ``resources`` (ServiceResource rows)."""
    arns = {r.external_id for r in resources}
    nodes = [{"id": r.external_id, "kind": r.kind, "name": r.name} for r in resources]
    edges = []
    if len(arns) > 1:  # only links between two of this service's own resources: nothing of another service
        links = (FactLink.objects.filter(source_id__in=arns, target_id__in=arns).exclude(source_id=F("target_id"))
                 .order_by("source_id", "relation", "target_id")
                 .values_list("source_id", "relation", "target_id").distinct())
        edges = [{"source": s, "relation": rel, "target": t} for s, rel, t in links]
    if service.repo:
        repo_id = f"github:repo/{service.repo}"
        nodes.append({"id": repo_id, "kind": GH_REPO, "name": service.repo})
        if service.repo_rule == "ecr_image":
            edges += [{"source": r.external_id, "relation": BUILT_FROM, "target": repo_id}
                      for r in resources if r.kind == ECR_REPOSITORY]
    return {"nodes": nodes, "edges": edges}
