# Get-BedrockImportRolePolicy as a user runs it: both documents parse as JSON and say exactly what the import role may
# do, with and without a prefix and a KMS key; the region is resolved the AWS.Tools way without credentials.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    $script:account = '111122223333'

    function Get-Statement([string] $Json, [string] $Sid) {
        @(($Json | ConvertFrom-Json).Statement | Where-Object Sid -eq $Sid)
    }
}

Describe 'Get-BedrockImportRolePolicy' -Tag 'CI' {
    It 'writes a trust policy for bedrock.amazonaws.com limited to this account''s model import jobs in the region' {
        $p = Get-BedrockImportRolePolicy -Bucket my-models -Prefix youko/ -AccountId $account -Region eu-central-1
        $trust = $p.TrustPolicy | ConvertFrom-Json
        $trust.Version | Should -Be '2012-10-17'
        $trust.Statement.Count | Should -Be 1
        $statement = $trust.Statement[0]
        $statement.Effect | Should -Be 'Allow'
        $statement.Principal.Service | Should -Be 'bedrock.amazonaws.com'
        $statement.Action | Should -Be 'sts:AssumeRole'
        $statement.Condition.StringEquals.'aws:SourceAccount' | Should -Be $account
        $statement.Condition.ArnLike.'aws:SourceArn' | Should -Be "arn:aws:bedrock:eu-central-1:${account}:model-import-job/*"
    }

    It 'grants s3:GetObject on exactly bucket/prefix* and s3:ListBucket on the bucket under that prefix' {
        $p = Get-BedrockImportRolePolicy my-models youko/ -AccountId $account -Region us-east-1
        $permissions = $p.PermissionsPolicy | ConvertFrom-Json
        $permissions.Version | Should -Be '2012-10-17'
        @($permissions.Statement.Action) | Should -Be @('s3:GetObject', 's3:ListBucket')

        $read = Get-Statement $p.PermissionsPolicy ReadModelFiles
        $read.Resource | Should -Be 'arn:aws:s3:::my-models/youko/*'
        $read.Condition.StringEquals.'aws:ResourceAccount' | Should -Be $account

        $list = Get-Statement $p.PermissionsPolicy ListModelFiles
        $list.Resource | Should -Be 'arn:aws:s3:::my-models'
        @($list.Condition.StringLike.'s3:prefix') | Should -Be @('youko/', 'youko/*')
    }

    It 'without a prefix grants the whole bucket and lists it without a prefix condition' {
        $p = Get-BedrockImportRolePolicy -Bucket my-models -AccountId $account -Region us-east-1
        (Get-Statement $p.PermissionsPolicy ReadModelFiles).Resource | Should -Be 'arn:aws:s3:::my-models/*'
        (Get-Statement $p.PermissionsPolicy ListModelFiles).Condition.PSObject.Properties.Name | Should -Not -Contain 'StringLike'
        $p.PermissionsPolicy | Should -Not -Match 'kms:'
    }

    It 'adds kms:Decrypt on the key ARN made from a key id, account and region' {
        $keyId = '1234abcd-12ab-34cd-56ef-1234567890ab'
        $p = Get-BedrockImportRolePolicy -Bucket my-models -Prefix youko/ -KmsKeyId $keyId -AccountId $account -Region us-west-2
        $decrypt = Get-Statement $p.PermissionsPolicy DecryptModelFiles
        $decrypt.Count | Should -Be 1
        $decrypt.Action | Should -Be 'kms:Decrypt'
        $decrypt.Resource | Should -Be "arn:aws:kms:us-west-2:${account}:key/$keyId"
        $p.KmsKeyArn | Should -Be $decrypt.Resource
    }

    It 'matches a key given by alias through kms:ResourceAliases' {
        $p = Get-BedrockImportRolePolicy -Bucket my-models -KmsKeyId alias/models -AccountId $account -Region us-west-2
        $decrypt = Get-Statement $p.PermissionsPolicy DecryptModelFiles
        $decrypt.Resource | Should -Be "arn:aws:kms:us-west-2:${account}:key/*"
        $decrypt.Condition.'ForAnyValue:StringEquals'.'kms:ResourceAliases' | Should -Be 'alias/models'
    }

    It 'takes bucket and prefix from an s3:// URI bound by property name' {
        $p = [pscustomobject]@{ S3Uri = 's3://my-models/org/youko/' } | Get-BedrockImportRolePolicy -AccountId $account -Region us-east-1
        $p.Bucket | Should -Be 'my-models'
        $p.Prefix | Should -Be 'org/youko/'
        (Get-Statement $p.PermissionsPolicy ReadModelFiles).Resource | Should -Be 'arn:aws:s3:::my-models/org/youko/*'
    }

    It 'resolves the region from AWS_REGION with no credentials anywhere' {
        $saved = @{}
        foreach ($name in 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED') {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        }
        # Defaults another suite in this session may have left (Start-TestEndpoint sets -Region for every AWS cmdlet).
        $savedDefaults = $global:PSDefaultParameterValues
        $savedStoredRegion = Get-Variable StoredAWSRegion -Scope Global -ValueOnly -ErrorAction SilentlyContinue
        try {
            $global:PSDefaultParameterValues = @{}
            Remove-Variable StoredAWSRegion -Scope Global -ErrorAction SilentlyContinue
            [Environment]::SetEnvironmentVariable('AWS_ACCESS_KEY_ID', $null)
            [Environment]::SetEnvironmentVariable('AWS_SECRET_ACCESS_KEY', $null)
            [Environment]::SetEnvironmentVariable('AWS_PROFILE', $null)
            [Environment]::SetEnvironmentVariable('AWS_CONFIG_FILE', (Join-Path $TestDrive 'no-config'))
            [Environment]::SetEnvironmentVariable('AWS_SHARED_CREDENTIALS_FILE', (Join-Path $TestDrive 'no-credentials'))
            [Environment]::SetEnvironmentVariable('AWS_EC2_METADATA_DISABLED', 'true')
            [Environment]::SetEnvironmentVariable('AWS_DEFAULT_REGION', $null)
            [Environment]::SetEnvironmentVariable('AWS_REGION', 'ap-northeast-1')
            $p = Get-BedrockImportRolePolicy -Bucket my-models -AccountId $account
            $p.Region | Should -Be 'ap-northeast-1'
            ($p.TrustPolicy | ConvertFrom-Json).Statement[0].Condition.ArnLike.'aws:SourceArn' | Should -Be "arn:aws:bedrock:ap-northeast-1:${account}:model-import-job/*"
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
            $global:PSDefaultParameterValues = $savedDefaults
            if ($null -ne $savedStoredRegion) { Set-Variable StoredAWSRegion $savedStoredRegion -Scope Global }
        }
    }

    It 'refuses <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'an upper-case bucket'; Arguments = @{ Bucket = 'My-Models' }; ErrorId = 'InvalidS3Uri'; Message = 'upper-case' }
        @{ Case = 'a wildcard in the prefix'; Arguments = @{ Bucket = 'my-models'; Prefix = 'you*/' }; ErrorId = 'InvalidRolePolicyInput'; Message = 'wildcard' }
        @{ Case = 'an account that is not 12 digits'; Arguments = @{ Bucket = 'my-models'; AccountId = '1234' }; ErrorId = 'InvalidRolePolicyInput'; Message = '12 digits' }
        @{ Case = 'a malformed key'; Arguments = @{ Bucket = 'my-models'; KmsKeyId = 'not a key' }; ErrorId = 'InvalidRolePolicyInput'; Message = 'not a key id' }
    ) {
        $splat = @{ AccountId = $account; Region = 'us-east-1' }
        foreach ($key in $Arguments.Keys) { $splat[$key] = $Arguments[$key] }
        $failure = $null
        $result = Get-BedrockImportRolePolicy @splat -ErrorVariable failure -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -Be "$ErrorId,BedrockImport.Cmdlets.GetBedrockImportRolePolicyCommand"
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure[0].Exception.Message | Should -Match ([regex]::Escape($Message))
    }
}
