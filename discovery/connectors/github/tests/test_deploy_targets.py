import pytest

from discovery.connectors.github.deploy_targets import TARGET_FIELDS, find_deploy_targets

WF = ".github/workflows/deploy.yml"


def targets(files, **kw):
    found, warnings = find_deploy_targets(files, **kw)
    for t in found:
        assert tuple(t) == TARGET_FIELDS
    return found, warnings


def brief(found):
    """(kind, name, cluster, stage) of each target."""
    return [(t["target_kind"], t["name"], t["cluster"], t["stage"]) for t in found]


def test_ecs_deploy_action_with_credentials_and_docker():
    wf = """\
name: deploy
on: {push: {branches: [main]}}
env:
  ECR_REPOSITORY: payments-api
  SERVICE: payment-gateway
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      CLUSTER: prod
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::111111111111:role/deploy
          aws-region: eu-west-1
      - id: login-ecr
        uses: aws-actions/amazon-ecr-login@v2
      - id: build-image
        env:
          ECR_REGISTRY: ${{ steps.login-ecr.outputs.registry }}
          IMAGE_TAG: ${{ github.sha }}
        run: |
          docker build -t $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG .
          docker push $ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG
          echo "image=$ECR_REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG" >> $GITHUB_OUTPUT
      - id: task-def
        uses: aws-actions/amazon-ecs-render-task-definition@v1
        with:
          task-definition: .aws/task-definition.json
          container-name: app
          image: ${{ steps.build-image.outputs.image }}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: ${{ steps.task-def.outputs.task-definition }}
          service: ${{ env.SERVICE }}
          cluster: ${{ env.CLUSTER }}
"""
    found, warnings = targets({WF: wf})
    assert warnings == []
    assert brief(found) == [("ecr_image", "payments-api", None, None), ("ecs_service", "payment-gateway", "prod", None)]
    image, service = found
    assert (image["account"], image["region"], image["line"], image["source"]) == ("111111111111", "eu-west-1", 24, "docker")
    assert (service["line"], service["source"]) == (36, "amazon-ecs-deploy-task-definition")
    assert (service["account"], service["region"]) == ("111111111111", "eu-west-1")


def test_ecs_action_cluster_defaults_to_default():
    wf = """\
jobs:
  d:
    steps:
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with: {task-definition: td.json, service: api}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with: {task-definition: td.json}
"""
    found, _ = targets({WF: wf})
    assert brief(found) == [("ecs_service", "api", "default", None)]


def test_aws_cli_forms():
    wf = """\
jobs:
  d:
    steps:
      - run: aws ecs update-service --cluster staging --service api --force-new-deployment
      - run: aws --region us-west-2 ecs update-service --cluster=prod --service=web
      - run: |
          set -euo pipefail
          # aws ecs update-service --cluster commented --service out
          aws ecs update-service \\
            --cluster arn:aws:ecs:us-east-2:222222222222:cluster/batch \\
            --service worker \\
            --desired-count 2
          aws lambda update-function-code --function-name arn:aws:lambda:us-east-1:333333333333:function:resize:live --zip-file fileb://f.zip
          aws lambda update-function-code --function-name thumbnailer:prod --image-uri x
          aws cloudformation deploy --template-file t.yml --stack-name network-prod --no-fail-on-empty-changeset
          sudo -E aws --debug cloudformation update-stack --stack-name "quoted stack" && echo done
          aws ecs describe-services --cluster prod --services web
"""
    found, warnings = targets({WF: wf})
    assert warnings == []
    assert brief(found) == [
        ("ecs_service", "api", "staging", None),
        ("ecs_service", "web", "prod", None),
        ("ecs_service", "worker", "batch", None),
        ("lambda_function", "resize", None, None),
        ("lambda_function", "thumbnailer", None, None),
        ("cloudformation_stack", "network-prod", None, None),
        ("cloudformation_stack", "quoted stack", None, None),
    ]
    by_name = {t["name"]: t for t in found}
    assert by_name["web"]["region"] == "us-west-2"
    assert (by_name["worker"]["account"], by_name["worker"]["region"], by_name["worker"]["line"]) == \
        ("222222222222", "us-east-2", 9)
    assert (by_name["resize"]["account"], by_name["resize"]["line"]) == ("333333333333", 13)
    assert by_name["network-prod"]["line"] == 15
    assert {t["source"] for t in found} == {"aws-cli"}


def test_sam_deploy_with_flag_and_samconfig():
    files = {
        WF: """\
jobs:
  d:
    steps:
      - run: sam deploy --stack-name search-hub-staging --no-confirm-changeset --capabilities CAPABILITY_IAM
      - run: sam deploy --config-env prod --no-confirm-changeset
        working-directory: services/api
      - run: sam deploy
""",
        "services/api/samconfig.toml": """\
version = 0.1
[default.deploy.parameters]
stack_name = "api-dev"
[prod.deploy.parameters]
stack_name = "api-prod"
region = "ap-south-1"
""",
    }
    found, warnings = targets(files)
    assert brief(found) == [("cloudformation_stack", "search-hub-staging", None, None),
                            ("cloudformation_stack", "api-prod", None, None)]
    assert found[1]["region"] == "ap-south-1" and found[1]["path"] == WF
    # the bare `sam deploy` at the root has no samconfig to read
    assert [w["reason_code"] for w in warnings] == ["unresolved_expression"]
    assert warnings[0]["line"] == 7 and "sam deploy without --stack-name" in warnings[0]["message"]


def test_samconfig_alone_declares_its_stacks():
    files = {"samconfig.toml": '[default.deploy.parameters]\nstack_name = "orders"\nregion = "us-east-1"\n',
             "app/samconfig.yaml": "version: 0.1\nstaging:\n  deploy:\n    parameters:\n      stack_name: app-stg\n"}
    found, warnings = targets(files)
    assert warnings == []
    assert [(t["name"], t["path"], t["line"], t["source"]) for t in found] == [
        ("app-stg", "app/samconfig.yaml", 5, "sam"), ("orders", "samconfig.toml", 2, "sam")]


SERVERLESS_YML = """\
service:
  name: billing
provider:
  name: aws
  stage: ${opt:stage, 'dev'}
  region: ${opt:region, 'eu-central-1'}
functions:
  charge:
    handler: handler.charge
  refund:
    name: billing-refund-${sls:stage}
    handler: handler.refund
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: !Sub "${AWS::StackName}-table"
        Arn: !GetAtt Other.Arn
"""


def test_serverless_deploy_with_stage():
    files = {
        WF: """\
jobs:
  d:
    strategy:
      matrix:
        stage: [staging, prod]
    steps:
      - run: npx serverless deploy --stage ${{ matrix.stage }} --verbose
""",
        "serverless.yml": SERVERLESS_YML,
    }
    found, warnings = targets(files)
    assert warnings == []
    assert brief(found) == [
        ("serverless_service", "billing", None, "staging"),
        ("cloudformation_stack", "billing-staging", None, "staging"),
        ("lambda_function", "billing-staging-charge", None, "staging"),
        ("lambda_function", "billing-refund-staging", None, "staging"),
        ("serverless_service", "billing", None, "prod"),
        ("cloudformation_stack", "billing-prod", None, "prod"),
        ("lambda_function", "billing-prod-charge", None, "prod"),
        ("lambda_function", "billing-refund-prod", None, "prod"),
    ]
    assert {t["region"] for t in found} == {"eu-central-1"}
    assert {(t["path"], t["line"], t["source"]) for t in found} == {(WF, 7, "serverless")}


def test_sls_short_flags_config_file_and_cd():
    files = {
        WF: """\
jobs:
  d:
    steps:
      - run: |
          cd services/notify && sls deploy -s prod -r us-west-1
          cd ../.. && serverless deploy -c serverless.batch.yml
""",
        "services/notify/serverless.yaml": "service: notify\nprovider: {name: aws, stackName: custom-notify}\n",
        "serverless.batch.yml": "service: batch\n",
    }
    found, warnings = targets(files)
    assert warnings == []
    assert brief(found) == [
        ("serverless_service", "notify", None, "prod"), ("cloudformation_stack", "custom-notify", None, "prod"),
        ("serverless_service", "batch", None, "dev"), ("cloudformation_stack", "batch-dev", None, "dev"),
    ]
    assert found[0]["region"] == "us-west-1"


def test_serverless_file_alone_and_unknowable_service():
    found, warnings = targets({"serverless.yml": SERVERLESS_YML})
    # opt:stage falls back to 'dev' in provider.stage, so the stage is known
    assert ("cloudformation_stack", "billing-dev", None, "dev") in brief(found)
    found, warnings = targets({"serverless.yml": "service: ${file(./cfg.yml):name}\n"})
    assert found == [] and warnings[0]["reason_code"] == "unresolved_expression"
    found, warnings = targets({"serverless.yml": "service: plain\n"})
    assert brief(found) == [("serverless_service", "plain", None, None)]  # no stage: no stack name


def test_serverless_github_action_and_missing_config():
    files = {WF: """\
jobs:
  d:
    steps:
      - uses: serverless/github-action@v3
        with:
          args: deploy --stage prod
      - run: serverless deploy
        working-directory: nowhere
""", "serverless.yml": "service: api\n"}
    found, warnings = targets(files)
    assert brief(found)[:2] == [("serverless_service", "api", None, "prod"), ("cloudformation_stack", "api-prod", None, "prod")]
    assert len(warnings) == 1 and "nowhere/serverless.yml" in warnings[0]["message"]


def test_cdk_deploy():
    wf = """\
jobs:
  d:
    steps:
      - run: npx cdk deploy NetworkStack AppStack --require-approval never -c env=prod
      - run: yarn cdk deploy --all
      - run: cdk deploy 'Prod/*'
      - run: pnpm exec cdk deploy
"""
    found, warnings = targets({WF: wf})
    assert brief(found) == [("cdk_stack", "NetworkStack", None, None), ("cdk_stack", "AppStack", None, None)]
    assert [w["line"] for w in warnings] == [5, 6, 7]
    assert "--all" in warnings[0]["message"]
    assert all(w["reason_code"] == "unresolved_expression" for w in warnings)


def test_docker_and_image_inputs():
    wf = """\
env:
  REGISTRY: 444444444444.dkr.ecr.ap-northeast-1.amazonaws.com
jobs:
  d:
    steps:
      - run: docker build -t 555555555555.dkr.ecr.us-east-1.amazonaws.com/team/api:1.2 -t local/api:dev .
      - run: docker tag api:latest $REGISTRY/api-b:latest && docker push $REGISTRY/api-b:latest
      - run: docker buildx build --push --tag ${{ steps.login-ecr.outputs.registry }}/api-c:${{ github.sha }} .
      - run: docker push nginx:latest
      - run: podman push 666666666666.dkr.ecr.us-gov-west-1.amazonaws.com/gov@sha256:abc
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: |
            777777777777.dkr.ecr.eu-west-3.amazonaws.com/bp:latest
            ghcr.io/org/bp:latest
      - uses: docker/metadata-action@v5
        with:
          images: name=888888888888.dkr.ecr.sa-east-1.amazonaws.com/meta,enable=true
"""
    found, warnings = targets({WF: wf})
    assert warnings == []
    assert [(t["name"], t["account"], t["region"]) for t in found] == [
        ("team/api", "555555555555", "us-east-1"),
        ("api-b", "444444444444", "ap-northeast-1"),
        ("api-c", None, None),
        ("gov", "666666666666", "us-gov-west-1"),
        ("bp", "777777777777", "eu-west-3"),
        ("meta", "888888888888", "sa-east-1"),
    ]
    assert {t["target_kind"] for t in found} == {"ecr_image"}


def test_unresolved_expressions_warn_and_skip():
    wf = """\
jobs:
  d:
    steps:
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with:
          service: ${{ vars.SERVICE_NAME }}
          cluster: prod
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with:
          service: known
          cluster: ${{ secrets.CLUSTER }}
      - run: aws lambda update-function-code --function-name $FUNCTION --zip-file fileb://x
      - run: docker push $IMAGE_URI
      - run: aws cloudformation deploy --stack-name "${STACK:-fallback-stack}"
"""
    found, warnings = targets({WF: wf})
    assert brief(found) == [("ecs_service", "known", None, None), ("cloudformation_stack", "fallback-stack", None, None)]
    assert [(w["line"], w["reason_code"]) for w in warnings] == [
        (6, "unresolved_expression"), (10, "unresolved_expression"),
        (12, "unresolved_expression"), (13, "unresolved_expression")]
    assert "${{ vars.SERVICE_NAME }}" in warnings[0]["message"]
    assert "$FUNCTION" in warnings[2]["message"]


def test_expression_sources():
    wf = """\
on:
  workflow_dispatch:
    inputs:
      environment: {default: staging}
jobs:
  d:
    strategy:
      matrix:
        svc: [a, b]
        exclude: [{svc: b}]
        include: [{svc: c, cluster: special}]
    env:
      PREFIX: ${{ github.event.repository.name }}
    steps:
      - run: echo "SUFFIX=worker" >> "$GITHUB_ENV"
      - run: aws ecs update-service --cluster ${{ inputs.environment }} --service $PREFIX-$SUFFIX
      - run: aws ecs update-service --cluster ${{ matrix.cluster || 'shared' }} --service ${{ matrix.svc }}
      - run: |
          STACK=${{ github.repository_owner }}-net
          export OTHER="quoted value"
          aws cloudformation deploy --stack-name $STACK
          ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
          docker push $ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/from-sts:1
"""
    found, warnings = targets({WF: wf}, repo="acme/payments")
    assert warnings == []
    assert brief(found) == [
        ("ecs_service", "payments-worker", "staging", None),
        ("ecs_service", "a", "shared", None),
        ("cloudformation_stack", "acme-net", None, None),
        ("ecr_image", "from-sts", None, None),
        ("ecs_service", "c", "special", None),
    ]
    assert found[3]["region"] == "us-east-1" and found[3]["account"] is None


def test_malformed_yaml_falls_back_to_run_lines():
    wf = """\
jobs:
  deploy:
    steps:
      - run: aws ecs update-service --cluster prod --service from-fallback
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with:
          service: fb-action
          cluster: fb-cluster
      - run: |
          sam deploy --stack-name fb-stack
      bad: [unclosed
"""
    found, warnings = targets({WF: wf})
    assert brief(found) == [("ecs_service", "from-fallback", "prod", None), ("ecs_service", "fb-action", "fb-cluster", None),
                            ("cloudformation_stack", "fb-stack", None, None)]
    assert [t["line"] for t in found] == [4, 7, 10]
    assert warnings[0]["reason_code"] == "invalid_yaml" and warnings[0]["path"] == WF


def test_task_definition_and_template_companions():
    files = {
        WF: "jobs: {d: {steps: [{uses: aws-actions/amazon-ecs-deploy-task-definition@v1, "
            "with: {task-definition: deploy/td-prod.json, service: s, cluster: c}}]}}\n",
        "deploy/td-prod.json": '{"family": "x", "containerDefinitions": [\n {"name": "app",\n'
                               '  "image": "999999999999.dkr.ecr.us-east-1.amazonaws.com/td-app:1"}, {"image": "<IMAGE>"}]}',
        ".aws/task-definition.json": "{not json",
        "template.yaml": """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-handler
      Events: {Api: {Type: Api, Properties: {Path: !Sub "/${Stage}"}}}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-other"
  Svc:
    Type: AWS::ECS::Service
    Properties: {ServiceName: orders-svc, Cluster: !Ref Cluster}
""",
    }
    found, warnings = targets(files)
    assert brief(found) == [("ecs_service", "s", "c", None), ("ecr_image", "td-app", None, None),
                            ("lambda_function", "orders-handler", None, None), ("ecs_service", "orders-svc", None, None)]
    assert (found[1]["path"], found[1]["line"], found[1]["account"]) == ("deploy/td-prod.json", 3, "999999999999")
    assert (found[2]["line"], found[2]["source"]) == (6, "sam")
    assert [(w["path"], w["reason_code"]) for w in warnings] == [(".aws/task-definition.json", "invalid_yaml")]


def test_duplicates_merge_and_conflicts_stay():
    wf = """\
jobs:
  d:
    steps:
      - run: docker build -t $ECR_REGISTRY/app . && docker push 121212121212.dkr.ecr.us-east-1.amazonaws.com/app
      - run: aws ecs update-service --cluster staging --service app
      - run: aws ecs update-service --cluster prod --service app
      - run: aws ecs update-service --cluster prod --service app
"""
    found, _ = targets({WF: wf})
    assert [(t["name"], t["cluster"], t["account"]) for t in found] == [
        ("app", None, "121212121212"), ("app", "staging", None), ("app", "prod", None)]


def test_composite_action_and_non_workflow_paths():
    files = {
        ".github/actions/deploy/action.yml": "runs:\n  using: composite\n  steps:\n"
                                             "    - run: aws ecs update-service --cluster c --service from-action\n"
                                             "      shell: bash\n",
        ".github/workflows/sub/nested.yml": "jobs: {d: {steps: [{run: sam deploy --stack-name not-a-workflow}]}}",
        "docs/deploy.yml": "jobs: {d: {steps: [{run: sam deploy --stack-name not-either}]}}",
    }
    found, _ = targets(files)
    assert brief(found) == [("ecs_service", "from-action", "c", None)]


@pytest.mark.parametrize("text", [
    "", "---\n", "[]", "just a string", "jobs: 5", "jobs: {a: 5}", "jobs: {a: {steps: 5}}",
    "jobs: {a: {steps: [5, null, {run: null}, {run: [1]}, {uses: null}]}}",
    "[" * 300000, "- " * 100000 + "x", "".join(" " * i + "a:\n" for i in range(700)),
    "a: &x [*x]\n", "\x00\x01\x02", "run: 'unbalanced \"quotes\n", "\t\tjobs:\n\t- x",
    "jobs: {a: {steps: [{run: \"aws ecs update-service --service\"}, {run: \"cdk deploy )(\"}]}}",
    "jobs: {a: {strategy: {matrix: '${{ fromJSON(x) }}'}, steps: [{run: 'sam deploy --stack-name ${{ matrix.s }}'}]}}",
])
def test_hostile_workflows_never_raise(text):
    found, warnings = find_deploy_targets({WF: text, "serverless.yml": text, "samconfig.toml": text,
                                           "template.yaml": text, "x/task-definition.json": text})
    assert isinstance(found, list) and isinstance(warnings, list)


def test_huge_matrix_is_capped():
    values = ", ".join(f"s{i}" for i in range(40))
    wf = f"jobs: {{d: {{strategy: {{matrix: {{a: [{values}], b: [{values}]}}}}, steps: " \
         "[{run: 'aws ecs update-service --cluster ${{ matrix.a }} --service ${{ matrix.b }}'}]}}"
    found, _ = targets({WF: wf})
    assert 0 < len(found) <= 64


def test_include_only_matrix_gives_one_combination_per_entry():
    wf = """\
jobs:
  deploy:
    strategy:
      max-parallel: 1
      matrix:
        include:
          - {env: prod, account: '504276031782', region: us-east-1, stack: SvcProdStack}
          - {env: staging, account: '165457470572', region: eu-west-1, stack: SvcStagingStack}
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::${{ matrix.account }}:role/github-deploy
          aws-region: ${{ matrix.region }}
      - run: npx cdk deploy ${{ matrix.stack }} --require-approval never
        working-directory: infra
"""
    found, warnings = targets({WF: wf})
    assert warnings == []
    assert [(t["name"], t["account"], t["region"]) for t in found] == [
        ("SvcProdStack", "504276031782", "us-east-1"), ("SvcStagingStack", "165457470572", "eu-west-1")]


CDK_APP = """\
#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
const app = new cdk.App();
new ApiStack(app, 'Api-Prod', { env: { account: '504276031782', region: 'us-east-1' }, stage: 'prod' });
new ApiStack(app, "Api-Dev", {
  env: { account: '311409525135', region: 'eu-west-1' },
});
new ApiStack(app, `Api-${stage}`, {});
new s3.Bucket(this, 'NotAStack');
"""


def test_cdk_app_file_names_stacks_for_all_and_fills_accounts():
    files = {WF: """\
jobs:
  a:
    steps:
      - run: npx cdk deploy --all --require-approval never
        working-directory: infra
  b:
    steps:
      - run: cd infra && npx cdk deploy 'Api-P*' Api-Dev
""", "infra/cdk.json": '{"app": "npx ts-node --prefer-ts-exts bin/app.ts", "context": {}}',
             "infra/bin/app.ts": CDK_APP}
    found, warnings = targets(files)
    assert warnings == []
    assert [(t["name"], t["account"], t["region"], t["line"]) for t in found] == [
        ("Api-Prod", "504276031782", "us-east-1", 4), ("Api-Dev", "311409525135", "eu-west-1", 4)]


def test_cdk_app_alone_and_python_app():
    found, _ = targets({"cdk.json": '{"app": "python3 app.py"}',
                        "app.py": 'app = cdk.App()\nDataStack(app, "Data-Prod", env=cdk.Environment(account="123456789012",'
                                  ' region="us-west-2"))\napp.synth()\n'})
    assert [(t["name"], t["account"], t["region"], t["path"], t["line"]) for t in found] == [
        ("Data-Prod", "123456789012", "us-west-2", "app.py", 2)]


def test_copilot():
    files = {WF: "jobs: {d: {steps: [{run: './copilot svc deploy --name refund-renderer --env prod'},"
                 " {run: 'copilot deploy -n other'}]}}\n",
             "copilot/.workspace": "application: nimbus\n",
             "copilot/refund-renderer/manifest.yml": "name: refund-renderer\ntype: Load Balanced Web Service\n",
             "copilot/worker/manifest.yml": "name: worker\nenvironments:\n  test: {count: 1}\n  prod: {count: 2}\n"}
    found, warnings = targets(files)
    assert brief(found) == [
        ("ecr_image", "nimbus/refund-renderer", None, None), ("cloudformation_stack", "nimbus-prod-refund-renderer", None, "prod"),
        ("ecr_image", "nimbus/other", None, None),
        ("ecr_image", "nimbus/worker", None, None), ("cloudformation_stack", "nimbus-test-worker", None, "test"),
        ("cloudformation_stack", "nimbus-prod-worker", None, "prod"),
    ]
    assert [w["line"] for w in warnings] == [1] and "--env" in warnings[0]["message"]


def test_jenkinsfile_and_buildspec():
    files = {
        "Jenkinsfile": """\
pipeline {
  environment {
    CLUSTER = 'legacy-ec2'
  }
  stages {
    stage('Deploy') {
      steps {
        sh 'docker push 180496990091.dkr.ecr.us-east-1.amazonaws.com/shipment-worker:$GIT_COMMIT'
        sh \"\"\"
          aws ecs update-service --cluster ${CLUSTER} \\\\
            --service shipment-worker
        \"\"\"
      }
    }
  }
}
""",
        "buildspec.yml": """\
version: 0.2
env:
  variables:
    FN: billing-fn
phases:
  build:
    commands:
      - aws lambda update-function-code --function-name $FN --zip-file fileb://x.zip
""",
    }
    found, warnings = targets(files)
    assert warnings == []
    assert [(t["target_kind"], t["name"], t["cluster"], t["path"], t["line"]) for t in found] == [
        ("ecr_image", "shipment-worker", None, "Jenkinsfile", 8),
        ("ecs_service", "shipment-worker", "legacy-ec2", "Jenkinsfile", 10),
        ("lambda_function", "billing-fn", None, "buildspec.yml", 8),
    ]


def test_shell_control_flow():
    wf = """\
jobs:
  d:
    steps:
      - run: |
          if [ "$GITHUB_REF" = "refs/heads/main" ]; then aws ecs update-service --cluster prod --service main-svc; fi
          for s in a b; do echo "$s"; done
          cat <<EOF > notes.txt
          aws ecs update-service --cluster heredoc --service not-a-command
          EOF
          echo "aws ecs update-service --cluster x --service quoted-only"
"""
    found, warnings = targets({WF: wf})
    assert brief(found) == [("ecs_service", "main-svc", "prod", None)]


# --- hostile input: bounded work, same answers for ordinary input ---------------------------------
def _wf_with_env(env: str, run: str) -> str:
    return f"env:\n{env}jobs:\n  d:\n    steps:\n      - run: {run}\n"


def test_env_references_are_expanded_once_each_and_stay_correct():
    env = "  A: ${{ env.B }}-${{ env.B }}\n  B: ${{ env.C }}x\n  C: c\n"
    found, warnings = targets({WF: _wf_with_env(env, "aws ecs update-service --cluster k --service ${{ env.A }}")})
    assert warnings == [] and brief(found) == [("ecs_service", "cx-cx", "k", None)]
    found, _ = targets({WF: _wf_with_env(env, "aws ecs update-service --cluster k --service $A")})
    assert brief(found) == [("ecs_service", "cx-cx", "k", None)]


def test_env_reference_cycles_are_unresolved():
    env = "  A: ${{ env.B }}\n  B: ${{ env.A }}\n"
    found, warnings = targets({WF: _wf_with_env(env, "aws ecs update-service --service ${{ env.A }}")})
    assert found == [] and [w["reason_code"] for w in warnings] == ["unresolved_expression"]


def test_env_fan_out_is_capped_as_unresolved():
    env = "".join(f"  E{i}: \"{'${{ env.E%d }}' % (i + 1) * 4}\"\n" for i in range(8)) + f"  E8: {'x' * 64}\n"
    found, warnings = targets({WF: _wf_with_env(env, "aws ecs update-service --service ${{ env.E0 }}")})
    assert found == []
    assert warnings[0]["reason_code"] == "unresolved_expression" and "too large to expand" in warnings[0]["message"]


def test_shell_variables_doubling_is_capped():
    run = "|\n" + "".join(f"          A{i}=$A{i - 1}$A{i - 1}\n" for i in range(1, 41))
    wf = f"jobs:\n  d:\n    steps:\n      - run: {run}          A0=xx\n          aws ecs update-service --service $A40\n"
    wf = wf.replace("run: |\n", "run: |\n          A0=xxxxxxxx\n", 1)
    found, warnings = targets({WF: wf})
    assert found == [] and any("too large to expand" in w["message"] for w in warnings)


def test_serverless_variables_resolve_once_and_are_capped():
    small = ("service: ${self:custom.a}\nprovider: {name: aws, stage: dev}\n"
             "custom:\n  a: ${self:custom.b}-${self:custom.b}\n  b: x${self:custom.c}\n  c: y\n")
    found, warnings = targets({"serverless.yml": small})
    assert warnings == [] and found[0]["name"] == "xy-xy"
    levels = "".join(f"  b{i}: \"{'${self:custom.b%d}' % (i + 1) * 16}\"\n" for i in range(5)) + "  b5: xxxxxxxx\n"
    found, warnings = targets({"serverless.yml": f"service: ${{self:custom.b0}}\ncustom:\n{levels}"})
    assert found == []
    assert {w["reason_code"] for w in warnings} == {"unresolved_expression"}
    assert any("expand to more than" in w["message"] for w in warnings)


@pytest.mark.parametrize("path,bomb", [
    (WF, "x: &a [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
        f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 10) + "]\n" for i in range(1, 7))
     + "jobs: {d: {steps: [{run: 'sam deploy --stack-name s'}]}}\n"),
    ("template.yaml", "m0: &m0 {k: v}\n" + "".join(
        f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], x{i}: v}}\n" for i in range(1, 25)) + "Resources: {}\n"),
    ("serverless.yml", "service: s\n" + "m0: &m0 {k: v}\n" + "".join(
        f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], x{i}: v}}\n" for i in range(1, 25))),
])
def test_yaml_alias_and_merge_bombs_are_refused(path, bomb):
    found, warnings = targets({path: bomb})
    assert warnings[0]["reason_code"] == "invalid_yaml" and "expands to more than" in warnings[0]["message"]


def test_ordinary_anchors_and_aliases_still_work():
    wf = """\
jobs:
  d:
    strategy: {matrix: {svc: [a, b]}}
    steps:
      - &deploy
        run: aws ecs update-service --cluster c --service ${{ matrix.svc }}
      - *deploy
  e: &job
    steps: [{run: sam deploy --stack-name s}]
  f: *job
"""
    found, warnings = targets({WF: wf})
    assert warnings == [] and brief(found) == [("ecs_service", "a", "c", None), ("ecs_service", "b", "c", None),
                                               ("cloudformation_stack", "s", None, None)]


def test_repeated_commands_read_companions_once_and_add_each_target_once():
    files = {"samconfig.toml": "".join(f"[e{i}.deploy.parameters]\nstack_name = \"s{i}\"\n" for i in range(50)),
             WF: "jobs:\n  d:\n    steps:\n      - run: |\n" + "          sam deploy --config-env e7\n" * 500}
    found, warnings = targets(files)
    assert warnings == [] and brief(found) == [("cloudformation_stack", "s7", None, None)]
    assert found[0]["line"] == 5


def test_line_numbers_skip_blank_runs_without_rescanning():
    found, _ = targets({"samconfig.toml": "[default.deploy.parameters]\n" + "\n" * 5000
                                          + "region = \"us-east-1\"\nstack_name = \"s\"\n"})
    assert [(t["name"], t["line"], t["region"]) for t in found] == [("s", 5003, "us-east-1")]


def test_overlong_shell_lines_and_names_are_reported_not_read():
    wf = "jobs:\n  d:\n    steps:\n      - run: aws ecs update-service --service " + "x" * 40_000 + "\n"
    found, warnings = targets({WF: wf})
    assert found == [] and [w["reason_code"] for w in warnings] == ["input_too_large"]
    wf = "jobs:\n  d:\n    steps:\n      - run: aws ecs update-service --service " + "x" * 2000 + "\n"
    found, warnings = targets({WF: wf})
    assert found == [] and "longer than 1024" in warnings[0]["message"]


def test_a_reusable_workflow_runs_once_per_call_with_what_that_call_passes():
    """A call's stage and region stay together: no target of one call's stack in another call's region."""
    caller = ("on: push\njobs:\n  staging:\n    uses: ./.github/workflows/deploy.yml\n    with: {stack: checkout-staging}\n"
              "  prod:\n    strategy:\n      matrix:\n        include:\n"
              "          - {stack: checkout-prod, region: us-east-1}\n          - {stack: checkout-prod-eu, region: eu-west-1}\n"
              "    uses: ./.github/workflows/deploy.yml\n"
              "    with: {stack: '${{ matrix.stack }}', region: '${{ matrix.region }}'}\n")
    callee = ("on:\n  workflow_call:\n    inputs:\n      stack: {type: string}\n      region: {type: string, default: us-west-2}\n"
              "jobs:\n  d:\n    runs-on: x\n    steps:\n"
              "      - run: aws cloudformation deploy --stack-name ${{ inputs.stack }} --region ${{ inputs.region }}\n")
    targets, _ = find_deploy_targets({".github/workflows/release.yml": caller, ".github/workflows/deploy.yml": callee})
    assert sorted((t["name"], t["region"]) for t in targets) == [
        ("checkout-prod", "us-east-1"), ("checkout-prod-eu", "eu-west-1"), ("checkout-staging", "us-west-2")]


def test_a_workflow_that_also_runs_on_its_own_keeps_its_dispatch_choices():
    callee = ("on:\n  workflow_call:\n    inputs: {env: {type: string}}\n  workflow_dispatch:\n    inputs:\n"
              "      env: {type: choice, options: [dev, prod]}\njobs:\n  d:\n    runs-on: x\n    steps:\n"
              "      - run: aws lambda update-function-code --function-name f-${{ inputs.env }}\n")
    caller = "on: push\njobs:\n  c:\n    uses: ./.github/workflows/deploy.yml\n    with: {env: qa}\n"
    targets, _ = find_deploy_targets({".github/workflows/release.yml": caller, ".github/workflows/deploy.yml": callee})
    assert sorted(t["name"] for t in targets) == ["f-dev", "f-prod", "f-qa"]


def test_each_target_names_the_workflow_job_that_deploys_it():
    """What one job deploys step by step is one deployable; jobs and matrix rows may be several (monorepos)."""
    wf = """\
on: {push: {branches: [main]}}
jobs:
  functions-prod:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        service: [claim-worker, claim-consumer]
    steps:
      - run: aws lambda update-function-code --function-name ${{ matrix.service }}-prod --zip-file fileb://f.zip
  orders:
    runs-on: ubuntu-latest
    steps:
      - run: aws lambda update-function-code --function-name orders-create --zip-file fileb://f.zip
"""
    found, _ = targets({WF: wf})
    assert sorted((t["name"], t["job"], t["line"]) for t in found) == [
        ("claim-consumer-prod", "functions-prod", 9), ("claim-worker-prod", "functions-prod", 9),
        ("orders-create", "orders", 13)]
