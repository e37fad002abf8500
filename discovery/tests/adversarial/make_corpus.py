"""Regenerate the adversarial corpus next to this file: ``python discovery/tests/adversarial/make_corpus.py``.

Each ``repo-*`` directory is one repository snapshot (paths inside are repository paths) for
``repo_batch``; ``aws-*``/``log-*`` files are AWS error messages and log lines. Every input is built
to hit one super-linear path the parsers had (the comment above each says which): sizes are
chosen so the old code took far longer than the test's CPU budget, while staying under the
connector's 256 KB per-file cap. Files over 32 KB are stored gzipped (``x.gz`` is read as ``x``),
so the corpus stays small in the repository and out of diffs.
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

HERE = Path(__file__).parent
WF = ".github/workflows"


def write(rel: str, text: str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if len(data) > 32 * 1024:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)


def laughs(prefix: str, levels: int, width: int, leaf: str) -> str:
    """Anchors l0..l<levels>: each a list of ``width`` aliases of the one before (billion laughs)."""
    out = [f"{prefix}l0: &l0 [{', '.join([leaf] * width)}]"]
    for i in range(1, levels + 1):
        out.append(f"{prefix}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(out) + "\n"


def merge_bomb(prefix: str, levels: int) -> str:
    """Mappings m0..m<levels>, each merging the one before twice: merge keys really copy, 2**levels pairs."""
    out = [f"{prefix}m0: &m0 {{k0: v, k1: v}}"]
    for i in range(1, levels + 1):
        out.append(f"{prefix}m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], x{i}: v}}")
    return "\n".join(out) + "\n"


def main() -> None:
    for old in HERE.glob("repo-*"):
        shutil.rmtree(old)
    for old in set(HERE.glob("aws-*")) | set(HERE.glob("log-*")):
        old.unlink()

    # --- workflows ---------------------------------------------------------------------------
    # ${{ env.E0 }} -> four references to E1 -> ... -> E8: 4**8 expansions per reference
    env = "".join(f"  E{i}: \"{'${{ env.E%d }}' % (i + 1) * 4}\"\n" for i in range(8)) + f"  E8: {'x' * 64}\n"
    write(f"repo-expression-fanout/{WF}/deploy.yml",
          f"env:\n{env}jobs:\n  d:\n    steps:\n      - run: |\n"
          + "          aws ecs update-service --cluster c --service svc-${{ env.E0 }}\n" * 8)

    # "${{" without "}}": the lazy regex rescanned to the end from each one
    write(f"repo-unclosed-expressions/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n          echo " + "${{ a " * 30_000 + "\n")

    # A1=$A0$A0, A2=$A1$A1 ...: every assignment doubles the value (2**40 characters)
    assigns = "".join(f"          A{i}=$A{i - 1}$A{i - 1}\n" for i in range(1, 41))
    write(f"repo-shell-doubling/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n          A0=xxxxxxxxxxxxxxxx\n" + assigns
          + "          aws ecs update-service --cluster c --service $A40\n")

    # one shell line continued 12 000 times: joined line by line, quadratic
    write(f"repo-line-continuations/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n" + "          aws ecs \\\n" * 12_000 + "          x\n")

    # ${a:-${a:-${a:-... in one word: each "$" rescanned the rest of the word for "}"
    write(f"repo-shell-defaults/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: echo " + "${a:-" * 40_000 + "\n")

    # an unknown expression "x_ecr_ecr_ecr...": the registry check rescanned from every "ecr"
    write(f"repo-ecr-registry-check/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: docker push ${{ x" + "_ecr" * 50_000 + " }}/app:1\n")

    # a job with 100 steps of 1 KB scripts, aliased by 400 jobs (each 12 bytes of YAML)
    script = "aws ecs update-service --cluster c --service s\n" * 22
    steps = "".join(f"  s{i}: &s{i} {{run: {script!r}}}\n".replace("'", '"') for i in range(4))
    write(f"repo-alias-amplification/{WF}/deploy.yml",
          "x-steps:\n" + steps + "x-job: &job\n  steps: [" + ", ".join(f"*s{i % 4}" for i in range(100)) + "]\n"
          + "jobs:\n" + "".join(f"  j{i}: *job\n" for i in range(400)))

    # a large workflow env and many jobs and steps: the env was copied per job and per step
    write(f"repo-env-copies/{WF}/deploy.yml",
          "env:\n" + "".join(f"  E{i}: v\n" for i in range(8000))
          + "jobs:\n" + "".join(f"  j{i}: {{steps: [{{run: a}}]}}\n" for i in range(6000)))

    # a 64-combination matrix used by 2000 steps: every step scanned once per combination
    values = ", ".join(f"v{i}" for i in range(8))
    write(f"repo-matrix-steps/{WF}/deploy.yml",
          f"jobs:\n  d:\n    strategy: {{matrix: {{a: [{values}], b: [{values}]}}}}\n    steps:\n"
          + "      - run: aws ecs update-service --cluster ${{ matrix.a }} --service ${{ matrix.b }}\n" * 2000)

    # invalid YAML (line-based fallback) with a line of 40 000 spaces: the uses: pattern split
    # the spaces between two \s* every possible way
    write(f"repo-fallback-spaces/{WF}/deploy.yml",
          "jobs: [unclosed\n" + " " * 40_000 + "x\n" + "  - run: aws ecs update-service --service fb\n")

    # 3000 "cdk deploy" commands: the app file (1000 stacks) was parsed again for each
    write("repo-cdk-reparse/cdk.json", '{"app": "npx ts-node bin/app.ts"}\n')
    write("repo-cdk-reparse/bin/app.ts",
          "const app = new cdk.App();\n" + "".join(
              f"new ServiceStack(app, 'Stack{i}', {{ env: {{ account: '123456789012', region: 'us-east-1' }} }});\n"
              for i in range(1000)))
    write(f"repo-cdk-reparse/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n" + "          npx cdk deploy 'Stack*'\n" * 3000)

    # 4000 "sam deploy" commands pointing at one samconfig of 2000 environments
    write("repo-sam-reparse/samconfig.toml", "".join(
        f"[e{i}.deploy.parameters]\nstack_name = \"s{i}\"\n" for i in range(2000)))
    write(f"repo-sam-reparse/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n" + "          sam deploy --config-env e1999\n" * 4000)

    # --- serverless.yml -------------------------------------------------------------------------
    # b0: ${self:custom.b1} sixteen times, b1 likewise ... b5: 16**5 resolutions, 8 MB, per name
    levels = "".join(f"  b{i}: \"{'${self:custom.b%d}' % (i + 1) * 16}\"\n" for i in range(5)) + "  b5: xxxxxxxx\n"
    functions = "".join(f"  f{i}:\n    name: ${{self:custom.b0}}-{i}\n" for i in range(4))
    write("repo-serverless-fanout/serverless.yml",
          f"service: ${{self:custom.b0}}\nprovider:\n  name: aws\n  stage: ${{self:custom.b0}}\n"
          f"custom:\n{levels}functions:\n{functions}")
    write(f"repo-serverless-fanout/{WF}/deploy.yml",
          "jobs:\n  d:\n    steps:\n      - run: |\n" + "          serverless deploy --stage s\n" * 50)

    # YAML merge keys copying 2**24 pairs while loading
    write("repo-serverless-merge-bomb/serverless.yml",
          "service: bomb\nprovider: {name: aws, stage: dev}\n" + merge_bomb("x", 24))

    # --- other companions ---------------------------------------------------------------------------
    write("repo-template-merge-bomb/template.yaml",
          "Transform: AWS::Serverless-2016-10-31\n" + merge_bomb("X", 24) + "Resources: {}\n")

    # 3000 functions: the line of each name was searched for from the top of the file
    write("repo-template-functions/template.yaml",
          "Resources:\n" + "".join(
              f"  F{i}:\n    Type: AWS::Lambda::Function\n    Properties: {{FunctionName: fn{i}}}\n"
              for i in range(3000)))

    # 2500 containers: the line of each image was searched for from the top of the file
    write("repo-taskdef-containers/deploy/task-definition.json",
          '{"containerDefinitions": [\n' + ",\n".join(
              f'{{"name": "c{i}", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r{i}:1"}}'
              for i in range(2500)) + "\n]}\n")

    # stack_name after 60 000 blank lines and another key: ^\s* rescanned the blank run from each line
    write("repo-samconfig-blank-lines/samconfig.toml",
          "[default.deploy.parameters]\n" + "\n" * 60_000 + "region = \"us-east-1\"\nstack_name = \"s\"\n")

    # Jenkinsfile of 60 000 blank lines: the environment pattern's ^\s* again
    write("repo-jenkins-blank-lines/Jenkinsfile", "pipeline {\n" + "\n" * 60_000 + "}\n")

    # deep nesting: flow brackets (refused before parsing); a comment line of 2000 ":" defeats the
    # cheap nesting bound, which sent the old code to the pure-Python parser (~40 us a node) for a
    # 250 KB template; 600 levels of block nesting; JSON nesting in a task definition and cdk.json
    write(f"repo-deep-nesting/{WF}/deploy.yml", "jobs: " + "[" * 100_000 + "\n")
    write("repo-deep-nesting/template.yaml",
          "# " + ":" * 2000 + "\nResources:\n" + "".join(f"  R{i}: [" + ", ".join(["x"] * 40) + "]\n"
                                                        for i in range(2000)))
    write("repo-deep-nesting/catalog-info.yaml", "# " + ":" * 2000 + "\n" + "".join(
        " " * i + f"k{i}:\n" for i in range(600)) + " " * 600 + "v\n")
    write("repo-deep-nesting/x/task-definition.json", '{"containerDefinitions": ' + "[" * 100_000 + "]" * 100_000 + "}")
    write("repo-deep-nesting/cdk.json", "[" * 100_000)

    # --- catalog-info -----------------------------------------------------------------------------
    write("repo-catalog-merge-bomb/catalog-info.yaml",
          "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: bomb}\nspec: {owner: team}\n"
          + merge_bomb("x", 24))
    write("repo-catalog-laughs/catalog-info.yaml",
          "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: laughs\n"
          + laughs("  ", 9, 9, "lol") + "  tags: *l9\nspec: {owner: team}\n")

    # --- CODEOWNERS -----------------------------------------------------------------------------
    # globs that backtrack exponentially as regexes (*a*a*a..., **/**/...) once a path is matched
    write("repo-codeowners-globs/CODEOWNERS",
          "* @org/all\n" + "*a" * 40 + "*b @org/stars\n" + "**/" * 60 + "z @org/dirs\n"
          + "/x" + "/*" * 200 + "/y @org/deep\n" + "a" * 4000 + "* @org/long\n")
    # a 200 KB pattern of 100 000 wildcards: compiled to a regex of 100 000 [^/]* (slow, 56 MB)
    write("repo-codeowners-huge-line/CODEOWNERS", "*x" * 100_000 + " @org/team\n" + "* @org/all\n")

    # --- READMEs -------------------------------------------------------------------------------------
    # "<a<a<a...": the tag pattern rescanned to the end from each "<"; glued URLs: the URL-only check
    # split them every possible way (exponential); pathological emphasis and link openers: markdown-it
    # is linear but slow, and used to parse the whole file; RST: a lazy group racing \s* over a run of
    # spaces, and bare references restarting after every "-"
    write("repo-readme-tag-text/README.md", "<a" * 60_000 + "\n")
    write("repo-readme-glued-urls/README.md", "http://example.com/a" * 32 + " trailing words here\n")
    write("repo-readme-emphasis/README.md", "*a **a " * 18_000 + "b" + " a** a*" * 18_000 + "\n")
    write("repo-readme-link-openers/README.md", "[ a_" * 60_000 + "\n")
    write("repo-readme-rst-spaces/README.rst", "` " + " " * 100_000 + "x\n")
    write("repo-readme-rst-bare-refs/README.rst", "a-" * 100_000 + "x\n")

    # --- AWS error messages and log lines ---------------------------------------------------------
    # near misses of every credential shape; "secret" * 700 made the old key=value pattern cubic

    # --- Terraform ---------------------------------------------------------------------------
    # dense HCL (an 8 500-element list: two tokens every two characters) that with the rest fills the
    # work cap, beside a file past the size cap, nesting past the parser's recursion, a chain of locals
    # doubling 40 times and modules calling each other: parse work stays within the token estimate,
    # and the readable queue is still found
    write("repo-terraform-dense/services/dense/main.tf", "x = [" + "1," * 8_500 + "]\n")
    write("repo-terraform-dense/services/huge/main.tf", "# " + "h" * 70_000 + "\n")
    write("repo-terraform-dense/services/deep/main.tf", "a = " + "[" * 1500 + "]" * 1500 + "\n")
    chain = "".join(f'  l{i} = "${{local.l{i + 1}}}${{local.l{i + 1}}}"\n' for i in range(40)) + '  l40 = "z"\n'
    write("repo-terraform-dense/services/chain/main.tf",
          f"locals {{\n{chain}}}\nresource \"aws_sqs_queue\" \"q\" {{ name = local.l0 }}\n")
    write("repo-terraform-dense/modules/a/main.tf",
          'variable "name" {}\nmodule "b" {\n  source = "../b"\n  name   = var.name\n}\n')
    write("repo-terraform-dense/modules/b/main.tf",
          'variable "name" {}\nmodule "a" {\n  source = "../a"\n  name   = "${var.name}-x"\n}\n')
    write("repo-terraform-dense/main.tf", 'resource "aws_sqs_queue" "ok" {\n  name = "tf-ok"\n}\n')

    shapes = [
        "secret" * 700,                                     # one long word full of "secret"
        " ".join(f"AKIA{i:011d}" for i in range(150)),     # access key ids one char short
        " ".join("A" * 39 for _ in range(60)),             # base64 runs one char short of a secret
        " ".join(["token", "Bearer", "aws_secret_access_key", "password:", "Request-Id"] * 150),
        "-".join(["session"] * 500),
    ]
    write("aws-error-near-misses.txt", " ".join(shapes) + " AKIACANARY0000000001 is not authorized\n")
    # one 20 KB word: the key=value pattern rescanned it from each of its characters
    write("aws-error-one-word.txt", "a" * 20_000 + "\n")
    # pairs one after another with the secret after them: the one-pass pair scan must not skip it
    write("aws-error-secret-pairs.txt", "Access denied: " + "x-token=" * 3000 + "CANARYvalue end\n")
    # private key headers without an end: the lazy .*? rescanned the rest of the line from each one;
    # the secret at the very end must still be masked (the log path never truncates)
    write("log-private-key-headers.txt",
          "-----BEGIN PRIVATE KEY----- " * 9000 + "password=CANARYlogpw\n")


if __name__ == "__main__":
    main()
