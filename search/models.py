"""The search document store: one denormalized row per service, team and repository of the tenant.

It lives in each tenant's schema, so a query can only ever see its own tenant's rows. SearchDocument
is the PostgreSQL backend's index (weighted tsvector, facet columns, normalized names) and, for every
backend, the record of what was indexed and when (``indexed_at`` against the source's
``source_updated_at``: the index lag). The document's JSON (what a hit shows) is kept apart in
SearchHit, so that scanning thousands of candidates reads narrow rows.
"""
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector, SearchVectorCombinable, SearchVectorField
from django.db import models

# 'simple': no stemming or stop words. Names like "order-ledger-worker" must match as typed.
TS_CONFIG = "simple"
DESCRIPTION_MARK = "~"  # description lexemes are "~word": queries ask for them whole ('~word'), never by prefix


class DescriptionVector(SearchVectorCombinable, models.Func):
    """The description's words as exact lexemes "~word" with weight D.

    As-you-type prefixes ("exp") should complete names, tags, teams, languages and repositories, not
    prose: matched by prefix, description words would make nearly every short prefix match thousands
    of services. A whole typed word ("stripe") still finds the descriptions that contain it.
    """

    template = (f"setweight(coalesce(array_to_tsvector(string_to_array("
                f"'{DESCRIPTION_MARK}' || replace(nullif(%(expressions)s, ''), ' ', ' {DESCRIPTION_MARK}'), ' ')), "
                f"''::tsvector), 'D')")
    output_field = SearchVectorField()
    config = None


class DocumentKind(models.TextChoices):
    SERVICE = "service"
    TEAM = "team"
    REPOSITORY = "repository"


class SearchDocument(models.Model):
    key = models.CharField(max_length=80, unique=True)  # the document id in every backend, e.g. service-<uuid>
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    ref = models.CharField(max_length=512)  # service/team id, or the repository's org/name
    name_norm = models.CharField(max_length=512)  # normalize(name): exact and as-you-type prefix matches
    names = models.TextField()  # normalized name and aliases (teams: slug and name), space-separated
    # Weighted text: A name and aliases; B display name, tags, team; C languages, repository; D description.
    text_a = models.TextField(blank=True)
    text_b = models.TextField(blank=True)
    text_c = models.TextField(blank=True)
    text_d = models.TextField(blank=True)
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("text_a", config=TS_CONFIG, weight="A")
            + SearchVector("text_b", config=TS_CONFIG, weight="B")
            + SearchVector("text_c", config=TS_CONFIG, weight="C")
            + DescriptionVector("text_d")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # Filters and facets (services only; blank for teams and repositories).
    lifecycle = models.CharField(max_length=16, blank=True)
    tier = models.CharField(max_length=16, blank=True)
    team = models.CharField(max_length=100, blank=True)  # owner team slug
    health = models.CharField(max_length=16, blank=True)
    languages = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Full text over services only: teams are few, and repositories are matched by name prefix, so
            # neither makes a service query read (and discard) their rows.
            # fastupdate off: no pending list for searches to scan linearly after a burst of writes.
            GinIndex(fields=["search_vector"], condition=models.Q(kind="service"), fastupdate=False,
                     name="search_doc_service_fts"),
            # Exact and as-you-type name matches per kind (LIKE 'q%' needs pattern ops under any collation).
            models.Index(fields=["kind", "name_norm"], opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                         name="search_doc_kind_name"),
        ]

    def __str__(self):
        return self.key


class SearchHit(models.Model):
    """The document as the API returns it (and as other backends index it), by document key."""

    key = models.CharField(max_length=80, primary_key=True)
    payload = models.JSONField()

    def __str__(self):
        return self.key


class SearchWord(models.Model):
    """The tenant's vocabulary: words of names, aliases, display names, tags and teams. A query word that
    matches nothing is replaced by its nearest words here (trigram distance, GiST KNN): typo tolerance
    over a few thousand words instead of every document."""

    word = models.CharField(max_length=100, unique=True)

    class Meta:
        indexes = [GistIndex(fields=["word"], opclasses=["gist_trgm_ops"], name="search_word_trgm")]

    def __str__(self):
        return self.word
