// A client we did not write against the emulator: octokit (REST with pagination, GraphQL with the
// pagination plugin, ETag revalidation). Usage: node octokit_client.mjs BASE_URL TOKEN ORG
// Prints one JSON object on stdout; test_octokit.py asserts on it. Runs on Node 18 and 20.
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { paginateGraphQL } from "@octokit/plugin-paginate-graphql";
import { graphql } from "@octokit/graphql";

const [baseUrl, token, org] = process.argv.slice(2);
const MyOctokit = Octokit.plugin(paginateRest, paginateGraphQL);
const octokit = new MyOctokit({ auth: token, baseUrl, userAgent: "roster-emulator-test" });
const out = { node: process.version };

// REST: every repo of the org, 7 per page, following the Link header
let pages = 0;
const repos = [];
for await (const response of octokit.paginate.iterator("GET /orgs/{org}/repos", { org, per_page: 7 })) {
  pages += 1;
  repos.push(...response.data.map((r) => r.name));
}
out.rest = { pages, repos };
const me = await octokit.request("GET /user");
out.rest.user = me.data.login;
const workflows = await octokit.request("GET /repos/{owner}/{repo}/actions/workflows", { owner: org, repo: repos[0] });
out.rest.workflows = workflows.data.total_count;
const rulesets = await octokit.request("GET /repos/{owner}/{repo}/rulesets", { owner: org, repo: repos[0] });
out.rest.rulesets = rulesets.data;

// GraphQL: the same repos through the pagination plugin; the viewer through @octokit/graphql
const result = await octokit.graphql.paginate(
  `query ($org: String!, $cursor: String) {
     organization(login: $org) {
       repositories(first: 9, after: $cursor) { nodes { name } pageInfo { hasNextPage endCursor } }
     }
   }`,
  { org },
);
out.graphql = { repos: result.organization.repositories.nodes.map((n) => n.name) };
const gql = graphql.defaults({ baseUrl, headers: { authorization: `token ${token}` } });
const viewer = await gql(`{ viewer { login } }`);
out.graphql.viewer = viewer.viewer.login;

// ETag revalidation: the second, conditional request is a 304 (octokit raises it as a RequestError)
const first = await octokit.request("GET /orgs/{org}", { org });
out.etag = { first: first.status, etag: first.headers.etag };
try {
  const second = await octokit.request("GET /orgs/{org}", { org, headers: { "if-none-match": first.headers.etag } });
  out.etag.second = second.status;
} catch (error) {
  out.etag.second = error.status;
}

console.log(JSON.stringify(out));
