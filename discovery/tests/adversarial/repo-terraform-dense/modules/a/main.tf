variable "name" {}
module "b" {
  source = "../b"
  name   = var.name
}
