"""What ``sam package`` does to a SAM template, for the CloudFormation tests: zips each function's code, uploads
it and the state machine definitions to S3, and points the template at them.
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-package.html
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from localcloud.harness.template import load_template

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "cloudformation"
BUCKET = "packaged-artifacts"


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def package(s3: Any, template_dir: Path = FIXTURE, edit: Any = None) -> dict[str, Any]:
    """The packaged template (as a dict); ``edit(template)`` may change the SAM template first."""
    template = load_template(template_dir / "template.yaml")
    if edit is not None:
        edit(template)
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    for resource in template["Resources"].values():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in properties:
            body = _zip(template_dir / properties["CodeUri"])
            key = hashlib.md5(body).hexdigest()
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            properties["CodeUri"] = f"s3://{BUCKET}/{key}"
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            body = (template_dir / properties["DefinitionUri"]).read_bytes()
            key = hashlib.md5(body).hexdigest()
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            properties["DefinitionUri"] = {"Bucket": BUCKET, "Key": key}
    return template


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)
