"""Writes the Terraform configuration zips .ci/oci-clients.sh and rm_check.py hand to Resource Manager.

Usage: python rm_zips.py DIR

DIR/good.zip    provider-less (terraform_data + an output), the .tf files at the zip's root
DIR/broken.zip  a syntax error on main.tf line 2 (`terraform init` refuses it: the job must FAIL)
DIR/evil.zip    a good main.tf plus an entry named ../escape.tf (the emulator must refuse the zip)
"""

import os
import sys
import zipfile

GOOD = """variable "name" {
  type = string
}

variable "region" {
  type    = string
  default = "none"
}

resource "terraform_data" "greeting" {
  input = "hello ${var.name} in ${var.region}"
}

output "greeting" {
  value = terraform_data.greeting.output
}
"""

BROKEN = """resource "terraform_data" "broken" {
  input =
}
"""


def write(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files:
            z.writestr(name, text)


def main():
    out = sys.argv[1]
    write(os.path.join(out, "good.zip"), [("main.tf", GOOD)])
    write(os.path.join(out, "broken.zip"), [("main.tf", BROKEN)])
    write(os.path.join(out, "evil.zip"), [("main.tf", GOOD), ("../escape.tf", "# outside\n")])


if __name__ == "__main__":
    main()
