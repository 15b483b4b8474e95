"""A packaged SAM template's artifacts, fetched from the local S3 into a directory the harness deploys from.

``sam package`` (and ``sam deploy``, which packages first) uploads each function's code and each layer's
content as a zip, and each state machine definition as a file, then rewrites the template to point at them:
``CodeUri``/``ContentUri`` become ``s3://bucket/key`` and a state machine's ``DefinitionUri`` becomes
``{Bucket, Key}``. https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-package.html
CloudFormation's SAM transform then reads them from S3; here they are unzipped next to a copy of the
template, whose locations become those local paths, so the harness runs the handlers in-process.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from localcloud.harness.template import TemplateError

# The properties sam package rewrites to S3 locations, by resource type.
_ZIPPED = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
_FILES = {"AWS::Serverless::StateMachine": "DefinitionUri"}


def _s3_location(value: Any) -> tuple[str, str, str | None] | None:
    """``(bucket, key, version)`` of an ``s3://`` URI or a ``{Bucket, Key, Version}`` object, if it is one."""
    if isinstance(value, str) and value.startswith("s3://"):
        parsed = urlparse(value)
        return parsed.netloc, parsed.path.lstrip("/"), None
    if isinstance(value, Mapping) and isinstance(value.get("Bucket"), str) and isinstance(value.get("Key"), str):
        version = value.get("Version")
        return str(value["Bucket"]), str(value["Key"]), str(version) if version is not None else None
    return None


def read_object(account_id: str, partition: str, bucket: str, key: str, version: str | None = None) -> bytes:
    """An object of the local S3, read as CloudFormation reads it (no API call, so none in the call log)."""
    from moto.s3.exceptions import MissingBucket, MissingKey
    from moto.s3.models import s3_backends

    try:
        found = s3_backends[account_id][partition].get_object(bucket, key, version_id=version)
    except (MissingBucket, MissingKey):
        found = None
    if found is None:
        raise TemplateError(f"S3 object s3://{bucket}/{key} does not exist")
    return bytes(found.value)


class Unpacker:
    """Fetches a packaged template's artifacts into ``directory`` and points the template at them."""

    def __init__(self, directory: Path, account_id: str, partition: str) -> None:
        self.directory = directory
        self._account_id = account_id
        self._partition = partition
        self._fetched: dict[tuple[str, str, str | None], str] = {}

    def unpack(self, template: dict[str, Any]) -> Path:
        """Rewrite ``template`` (in place) to local artifacts and write it to the directory; returns its path."""
        functions = (template.get("Globals") or {}).get("Function") or {}
        if _s3_location(functions.get("CodeUri")) is not None:
            functions["CodeUri"] = self._local(functions["CodeUri"], unzip=True)
        for resource in (template.get("Resources") or {}).values():
            properties = resource.get("Properties") if isinstance(resource, dict) else None
            if not isinstance(properties, dict):
                continue
            kind = str(resource.get("Type"))
            if kind in _ZIPPED and _s3_location(properties.get(_ZIPPED[kind])) is not None:
                properties[_ZIPPED[kind]] = self._local(properties[_ZIPPED[kind]], unzip=True)
            if kind in _FILES and _s3_location(properties.get(_FILES[kind])) is not None:
                properties[_FILES[kind]] = self._local(properties[_FILES[kind]], unzip=False)
        path = self.directory / "template.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        return path

    def _local(self, location: Any, *, unzip: bool) -> str:
        found = _s3_location(location)
        assert found is not None
        if found in self._fetched:
            return self._fetched[found]
        bucket, key, version = found
        body = read_object(self._account_id, self._partition, bucket, key, version)
        relative = f"artifacts/{len(self._fetched)}"
        target = self.directory / relative
        if unzip:
            try:
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    # zipfile drops absolute paths and ".." parts, so nothing lands outside the directory.
                    archive.extractall(target)
            except zipfile.BadZipFile as error:
                raise TemplateError(f"s3://{bucket}/{key} is not a zip file: {error}") from error
        else:
            # Keep the file name: the harness reads a definition as JSON or YAML by its suffix.
            target.mkdir(parents=True)
            target = target / Path(key).name
            target.write_bytes(body)
            relative = f"{relative}/{Path(key).name}"
        self._fetched[found] = relative
        return relative
