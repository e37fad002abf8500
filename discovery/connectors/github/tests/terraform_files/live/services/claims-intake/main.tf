# One service's resources, named through locals, variable defaults and interpolation.
locals {
  service = "claims-intake"
  queue   = "${local.service}-jobs"
  common_tags = {
    Team = "claims"
  }
}

variable "db_identifier" {
  type    = string
  default = "clmintake-pg"
}

variable "cluster" {
  default = "shared-prod"
}

resource "aws_ecs_service" "api" {
  name          = "${local.service}-api"
  cluster       = var.cluster
  desired_count = 2
  tags          = merge(local.common_tags, { Component = "api" })
}

resource "aws_sqs_queue" "jobs" {
  name = local.queue
}

resource "aws_db_instance" "main" {
  identifier = var.db_identifier
  engine     = "postgres"
}

resource "aws_lambda_function" "notifier" {
  function_name = "${local.service}-notifier"
  handler       = "app.handler"
}

# Not ours to resolve: each one is dropped with a warning, never kept as a name with "${" in it.
resource "aws_sqs_queue" "from_state" {
  name = "${data.terraform_remote_state.shared.outputs.prefix}-dlq"
}

resource "aws_lambda_function" "generated" {
  function_name = format("%s-%s", local.service, "cron")
}

resource "aws_sqs_queue" "per_key" {
  for_each = toset(["a", "b"])
  name     = "${local.service}-${each.key}"
}

# Terraform picks the name: nothing to match by, nothing declared.
resource "aws_sqs_queue" "prefixed" {
  name_prefix = "tmp-"
}

# Resource types we do not track are ignored.
resource "aws_iam_role" "task" {
  name = "claims-intake-task"
}
