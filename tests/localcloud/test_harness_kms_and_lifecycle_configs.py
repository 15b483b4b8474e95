"""Templates with KMS keys, their aliases and Studio lifecycle configurations deploy on the local cloud."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from localcloud import LocalCloud
from localcloud.harness import DeployError

TEMPLATE = """
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: Encrypts the topic.
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" }
            Action: kms:*
            Resource: "*"
      Tags:
        - { Key: team, Value: ml }
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/steward
      TargetKeyId: !Ref Key
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref Key
  Heartbeat:
    Type: AWS::SageMaker::StudioLifecycleConfig
    Properties:
      StudioLifecycleConfigName: !Sub "heartbeat-${AWS::Region}"
      StudioLifecycleConfigAppType: JupyterLab
      StudioLifecycleConfigContent: !Base64 |
        #!/bin/bash
        echo started
      Tags:
        - { Key: team, Value: ml }
Outputs:
  KeyRef: { Value: !Ref Key }
  KeyArn: { Value: !GetAtt Key.Arn }
  KeyId: { Value: !GetAtt Key.KeyId }
  AliasRef: { Value: !Ref KeyAlias }
  HeartbeatRef: { Value: !Ref Heartbeat }
  HeartbeatArn: { Value: !GetAtt Heartbeat.StudioLifecycleConfigArn }
"""


def test_a_kms_key_is_created_with_its_properties(cloud: LocalCloud, sam_project: Callable[..., Path]):
    stack = cloud.deploy(sam_project(TEMPLATE))
    kms = cloud.client("kms")

    # Ref gives the key id, GetAtt Arn and KeyId
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html).
    key_id = stack.outputs["KeyRef"]
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert stack.outputs["KeyId"] == key_id
    assert stack.outputs["KeyArn"] == metadata["Arn"]
    assert metadata["Description"] == "Encrypts the topic."
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{stack.account_id}:root"}
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "ml"}]
    # Ref of an alias gives its name (aws-resource-kms-alias.html).
    assert stack.outputs["AliasRef"] == "alias/steward"
    assert kms.describe_key(KeyId="alias/steward")["KeyMetadata"]["KeyId"] == key_id
    topic = cloud.client("sns").get_topic_attributes(TopicArn=stack.physical_id("Topic"))["Attributes"]
    assert topic["KmsMasterKeyId"] == key_id
    assert stack.skipped == []


def test_a_studio_lifecycle_config_is_created_with_its_properties(cloud: LocalCloud, sam_project: Callable[..., Path]):
    stack = cloud.deploy(sam_project(TEMPLATE))
    sm = cloud.client("sagemaker")

    # Ref gives the name, GetAtt StudioLifecycleConfigArn the ARN (see create_studio_lifecycle_config in
    # localcloud/harness/resources.py for the sources).
    name = f"heartbeat-{stack.region}"
    assert stack.outputs["HeartbeatRef"] == name
    described = sm.describe_studio_lifecycle_config(StudioLifecycleConfigName=name)
    assert stack.outputs["HeartbeatArn"] == described["StudioLifecycleConfigArn"]
    assert described["StudioLifecycleConfigAppType"] == "JupyterLab"
    assert base64.b64decode(described["StudioLifecycleConfigContent"]) == b"#!/bin/bash\necho started\n"
    assert sm.list_tags(ResourceArn=described["StudioLifecycleConfigArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]


def test_a_lifecycle_config_that_is_not_base64_fails_the_deploy(cloud: LocalCloud, sam_project: Callable[..., Path]):
    # StudioLifecycleConfigContent "must be base64 encoded"
    # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateStudioLifecycleConfig.html).
    path = sam_project(
        """
        Resources:
          Plain:
            Type: AWS::SageMaker::StudioLifecycleConfig
            Properties:
              StudioLifecycleConfigName: plain
              StudioLifecycleConfigAppType: CodeEditor
              StudioLifecycleConfigContent: "#!/bin/bash"
        """
    )
    with pytest.raises(DeployError, match="Plain"):
        cloud.deploy(path)
