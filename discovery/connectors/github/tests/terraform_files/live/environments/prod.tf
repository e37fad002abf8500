provider "aws" {
  region = "us-east-1"
}

module "quote_engine" {
  source  = "../modules/ecs-service"
  name    = "quote-engine"
  cluster = "apps-prod"
}

module "renewal_tracker" {
  source = "git::https://github.com/larkspur/terraform-aws-ecs.git?ref=v2.1.0"
  name   = "renewal-tracker"
}

resource "aws_sqs_queue" "shared_events" {
  name = "prod-shared-events"
}
