"""Reconcile: facts from AWS and GitHub -> catalog entries (services and components) with evidence.

Pure and deterministic: the same facts give the same drafts, in the same order, with the same
fingerprints. ``reconcile()`` (``reconciler.py``) runs the steps in order:

1. **Units** (``units.py``; one deployable seen in one place), by the architecture's identification
   rules: CloudFormation stack (0.95), ECS service (0.90), API Gateway with its Lambdas (0.85), Lambdas
   sharing a ``service``-like tag (0.80), standalone Lambdas grouped by name prefix (0.60).
2. **Services** (``grouping.py``): units sharing a name key are one service, across accounts,
   regions and stages (``payments-api-prod`` + ``PaymentsApiStaging`` + tag ``service: payments-api``).
   Resources one Terraform folder or module call declares (``iac.py``: an infrastructure repository's
   ``iac_resource`` facts) are then one service, named for the folder, with its databases and queues.
3. **Attachments** (``attachments.py``): databases, queues, image repositories and alarms join the
   service that owns them through stack membership, event sources, images, alarm targets, tags or
   name prefix; they never become services themselves.
4. **Repositories** (``repositories.py``, ``repository_links.py``): explicit tag (0.95), deploy
   workflow target (0.90), ECR image (0.85), catalog-info name (0.85), normalized name (0.75), Lambda
   name prefix (0.70), then a Levenshtein <= 2 match between *leftovers only*, one to one. Weak links
   never take a repository another service already holds, so ``search-hub`` and ``search-service``
   stay apart. Then one service seen under two spellings in different stages is merged (``grouping.py``).
5. **Drafts** (``drafts.py``, ``classify.py``): repositories with no infrastructure become components
   (archived and forked ones are excluded).
6. Owner evidence (``owners.py``): what CODEOWNERS (and the owner of a service's Terraform folder,
   ``iac.py``), catalog-info, commits, permissions and tags say,
   handed over as data; the ownership step scores it (``ownership.inference``). The last deploy
   (``last_deploy.py``): GitHub deployments and deploy workflow runs first, else ECS and Lambda. Then identity
   across runs (``catalog.identity``). Corrections apply to stored services, never here (``ownership.corrections``).

Rule confidences and what counts as what are in ``rules.py``; tag keys in ``tags.py``; the lookups
over facts and links in ``resource_index.py``; the input and output shapes in ``types.py``.
"""
from catalog.reconcile.reconciler import reconcile
from catalog.reconcile.types import FactView, LinkView, ReconcileResult, ResourceClaim, ServiceDraft

__all__ = ["FactView", "LinkView", "ReconcileResult", "ResourceClaim", "ServiceDraft", "reconcile"]
