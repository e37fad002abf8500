"""The GraphQL documents the scanner sends. Each is checked against GitHub's public schema in the tests
(through the emulator), so a field GitHub would reject fails here first."""

# Files read from the default branch in the same query as the repository: every CODEOWNERS location,
# the common README names, catalog-info, deploy companions, and whole folders (TREE_PATHS): .github/workflows,
# copilot and the folders CloudFormation templates live in.
FILE_PATHS = {
    "co_github": ".github/CODEOWNERS",
    "co_root": "CODEOWNERS",
    "co_docs": "docs/CODEOWNERS",
    "readme_md": "README.md",
    "readme_lower": "readme.md",
    "readme_rst": "README.rst",
    "readme_plain": "README",
    "readme_txt": "README.txt",
    "catalog_yaml": "catalog-info.yaml",
    "catalog_yml": "catalog-info.yml",
    "serverless_yml": "serverless.yml",
    "serverless_yaml": "serverless.yaml",
    "samconfig": "samconfig.toml",
    "cdk_json": "cdk.json",
    "cdk_json_infra": "infra/cdk.json",
    "cdk_json_cdk": "cdk/cdk.json",
    "sam_template_yaml": "template.yaml",
    "sam_template_yml": "template.yml",
    "sam_template_json": "template.json",
    "task_definition": "task-definition.json",
    "jenkinsfile": "Jenkinsfile",
    "buildspec_yml": "buildspec.yml",
    "buildspec_yaml": "buildspec.yaml",
    "copilot_workspace": "copilot/.workspace",
    "tf_main": "main.tf",
}
# Folders read as trees (two levels deep: copilot/<service>/manifest.yml), CloudFormation's among them, and
# the usual homes of Terraform (terraform/, services/<svc>/*.tf and modules/<m>/*.tf of an infrastructure
# repository, environments/<env>.tf); repo_facts reads at most terraform.MAX_TF_FILES .tf files of them.
# A monorepo's service folders (services/<svc>/, apps/<svc>/) bring each service's companions: its
# serverless.yml, SAM template and samconfig, task definition and catalog-info. (packages/ is not
# fetched: it holds a workspace's libraries, not what it deploys.) A tree's entries are a plain list, not
# a connection, so a tree adds nothing to GitHub's node count.
TREE_PATHS = {"workflows": ".github/workflows", "copilot": "copilot", "cloudformation": "cloudformation",
              "cfn": "cfn", "infrastructure": "infrastructure", "terraform": "terraform", "tf_services": "services",
              "tf_modules": "modules", "tf_environments": "environments", "apps": "apps"}

_FILES = "\n".join(
    f'      {alias}: object(expression: "HEAD:{path}") {{ ... on Blob {{ text byteSize isBinary isTruncated }} }}'
    for alias, path in FILE_PATHS.items()
)

_BLOB = "... on Blob { text byteSize isBinary isTruncated }"
_TREES = "\n".join(
    f'      {alias}: object(expression: "HEAD:{path}") {{ ... on Tree {{ entries {{ name path object {{ {_BLOB} '
    f'... on Tree {{ entries {{ name path object {{ {_BLOB} }} }} }} }} }} }} }}'
    for alias, path in TREE_PATHS.items()
)

REPO_FIELDS = f"""
      id
      name
      nameWithOwner
      description
      url
      isArchived
      isFork
      pushedAt
      primaryLanguage {{ name }}
      languages(first: 10, orderBy: {{field: SIZE, direction: DESC}}) {{ edges {{ size node {{ name }} }} }}
      repositoryTopics(first: 20) {{ nodes {{ topic {{ name }} }} }}
      defaultBranchRef {{
        name
        target {{ ... on Commit {{ history(first: 50) {{ nodes {{ committedDate author {{ email user {{ login }} }} }} }} }} }}
      }}
{_FILES}
{_TREES}
"""

REPOS_FULL = f"""
query($org: String!, $first: Int!, $cursor: String) {{
  organization(login: $org) {{
    repositories(first: $first, after: $cursor, orderBy: {{field: NAME, direction: ASC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {REPO_FIELDS} }}
    }}
  }}
  rateLimit {{ cost remaining resetAt }}
}}
"""

# Most recently pushed first: an incremental scan stops reading at the previous run's watermark.
REPOS_LIST = """
query($org: String!, $cursor: String) {
  organization(login: $org) {
    repositories(first: 100, after: $cursor, orderBy: {field: PUSHED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { id name isArchived isFork pushedAt }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""

REPOS_BY_ID = f"""
query($ids: [ID!]!) {{
  nodes(ids: $ids) {{ ... on Repository {{ {REPO_FIELDS} }} }}
  rateLimit {{ cost remaining resetAt }}
}}
"""

TEAMS = """
query($org: String!, $first: Int!, $cursor: String) {
  organization(login: $org) {
    login
    name
    description
    teams(first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {
        slug
        name
        description
        parentTeam { slug }
        members(first: 100, membership: IMMEDIATE) { pageInfo { hasNextPage endCursor } nodes { login } }
        repositories(first: 100) { pageInfo { hasNextPage endCursor } edges { permission node { name } } }
      }
    }
  }
  rateLimit { cost remaining resetAt }
}
"""

TEAM_MEMBERS_PAGE = """
query($org: String!, $slug: String!, $cursor: String) {
  organization(login: $org) {
    team(slug: $slug) { members(first: 100, after: $cursor, membership: IMMEDIATE) {
      pageInfo { hasNextPage endCursor } nodes { login } } }
  }
  rateLimit { cost remaining resetAt }
}
"""

TEAM_REPOS_PAGE = """
query($org: String!, $slug: String!, $cursor: String) {
  organization(login: $org) {
    team(slug: $slug) { repositories(first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor } edges { permission node { name } } } }
  }
  rateLimit { cost remaining resetAt }
}
"""

MEMBERS = """
query($org: String!, $cursor: String) {
  organization(login: $org) {
    membersWithRole(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { login name email } }
  }
  rateLimit { cost remaining resetAt }
}
"""
