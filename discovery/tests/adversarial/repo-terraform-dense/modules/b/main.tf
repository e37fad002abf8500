variable "name" {}
module "a" {
  source = "../a"
  name   = "${var.name}-x"
}
