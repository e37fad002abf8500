variable "name" {
  type = string
}

variable "cluster" {
  type    = string
  default = "shared-prod"
}

resource "aws_ecs_service" "this" {
  name    = var.name
  cluster = var.cluster
  tags    = { Service = var.name }
}

resource "aws_sqs_queue" "dlq" {
  name = "${var.name}-dlq"
}
