BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    function New-Sample([string] $Name, [long] $SizeBytes = 0) {
        $folder = Join-Path $TestDrive $Name
        if ($SizeBytes) { New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes $SizeBytes | Out-Null }
        else { New-BedrockSampleModel -Path $folder -ShardCount 2 | Out-Null }
        $folder
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'The import pipeline from the built module' -Tag 'CI' {
    It 'copies, imports, waits and gets the model in one pipeline' {
        $folder = New-Sample 'happy'
        $model = Copy-BedrockModelSource -Path $folder -Destination 's3://models/happy/' -CreateBucket |
            Start-BedrockModelImport -ModelName happy -RoleArn $role |
            Wait-BedrockImportJob

        $model.ModelName | Should -Be 'happy'
        $model.ModelArn | Should -Match '^arn:aws:bedrock:us-east-1:\d{12}:imported-model/[a-z0-9]{12}$'
        $model.ModelArchitecture | Should -Not -BeNullOrEmpty
        $model.S3Uri | Should -Be 's3://models/happy/'
        (Get-ImportedModel happy).ModelArn | Should -Be $model.ModelArn
        (Get-ImportedModel $model.ModelArn).ModelName | Should -Be 'happy'
        $job = Get-BedrockImportJob -NameContains happy
        $job.Status | Should -Be 'Completed'
        $job.ImportedModelArn | Should -Be $model.ModelArn
        (Get-BedrockImportJob $job.JobArn).JobName | Should -Be $job.JobName
        (Get-BedrockImportJob -Status Completed).JobName | Should -Contain $job.JobName
        (Get-BedrockImportJob 'happy-*').JobName | Should -Be $job.JobName

        $remote = Get-TestObjects $endpoint -Bucket models -Prefix 'happy/' | Sort-Object key
        $local = Get-FileSha256 $folder | Sort-Object Key
        $remote.key | Should -Be ($local.Key | ForEach-Object { "happy/$_" })
        $remote.sha256 | Should -Be $local.Sha256
    }

    It 'copies a local folder to the staging S3 folder and imports it with -Path' {
        $folder = New-Sample 'staged'
        Start-BedrockModelImport -ModelName staged -Path $folder -StagingS3Uri 's3://models/staged/' -RoleArn $role -WhatIf | Should -BeNullOrEmpty
        Get-TestObjects $endpoint -Bucket models -Prefix 'staged/' | Should -HaveCount 0

        $model = Start-BedrockModelImport -ModelName staged -Path $folder -StagingS3Uri 's3://models/staged/' -RoleArn $role | Wait-BedrockImportJob
        $model.ModelName | Should -Be 'staged'
        $model.S3Uri | Should -Be 's3://models/staged/'
        (Get-TestObjects $endpoint -Bucket models -Prefix 'staged/' | Sort-Object key).sha256 | Should -Be ((Get-FileSha256 $folder | Sort-Object Key).Sha256)
    }

    It 'names the job after the model and the current UTC time, also across a month boundary' {
        [BedrockImport.Infrastructure.TestHooks]::UtcNow = [DateTimeOffset]::Parse('2026-02-28T23:59:58Z')
        try {
            $job = Start-BedrockModelImport -ModelName happy2 -S3Uri 's3://models/happy/' -RoleArn $role
        }
        finally {
            [BedrockImport.Infrastructure.TestHooks]::UtcNow = $null
        }
        $job.JobName | Should -Be 'happy2-20260228-235958'
        $job | Wait-BedrockImportJob | Out-Null
    }

    It 'creates nothing new when the same start is retried with the same job name' {
        $first = Start-BedrockModelImport -ModelName retried -S3Uri 's3://models/happy/' -RoleArn $role -JobName retried-job
        $second = Start-BedrockModelImport -ModelName retried -S3Uri 's3://models/happy/' -RoleArn $role -JobName retried-job
        $second.JobArn | Should -Be $first.JobArn
        @(Get-BedrockImportJob -NameContains retried-job) | Should -HaveCount 1
    }

    It 'skips everything on a rerun of the same copy' {
        $folder = New-Sample 'rerun'
        $first = Copy-BedrockModelSource $folder 's3://models/rerun/'
        $second = Copy-BedrockModelSource $folder 's3://models/rerun/'
        $first.Uploaded | Should -Be $first.Bytes
        $second.Skipped | Should -Be $second.Files
        $second.Uploaded | Should -Be 0
    }

    It 'uploads only what is missing after an interrupted copy, and leaves no multipart upload behind' {
        $folder = New-Sample 'interrupted' -SizeBytes 48MB
        Set-TestKnobs $endpoint -Knobs @{ latencyMs = @{ 's3:UploadPart' = 300 } }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:BEDROCKIMPORT_MODULE).AddStatement()
            $null = $ps.AddCommand('Copy-BedrockModelSource').AddParameters(@{
                    Path = $folder; Destination = 's3://models/interrupted/'; PartSizeBytes = 5MB; Concurrency = 2
                    EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region; AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey })
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ((Get-TestCallCount $endpoint 's3:UploadPart') -lt 3 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $ps.Stop()
            $async.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
        }
        finally {
            $ps.Dispose()
            Set-TestKnobs $endpoint
        }
        Get-TestMultipartUploads $endpoint | Should -HaveCount 0

        $rerun = Copy-BedrockModelSource $folder 's3://models/interrupted/' -PartSizeBytes 5MB
        $rerun.Uploaded | Should -BeLessThan $rerun.Bytes
        $rerun.Skipped | Should -BeGreaterThan 0
        (Get-TestObjects $endpoint -Bucket models -Prefix 'interrupted/' | Sort-Object key).sha256 |
            Should -Be ((Get-FileSha256 $folder | Sort-Object Key).Sha256)
    }

    It 'retries failing parts and still uploads every byte' {
        $folder = New-Sample 'flaky' -SizeBytes 24MB
        Set-TestKnobs $endpoint -Knobs @{ internalErrorRate = @{ 's3:UploadPart' = 0.3 }; seed = 7 }
        try {
            $result = Copy-BedrockModelSource $folder 's3://models/flaky/' -PartSizeBytes 5MB
        }
        finally {
            Set-TestKnobs $endpoint
        }
        $result.Uploaded | Should -Be $result.Bytes
        (Get-TestObjects $endpoint -Bucket models -Prefix 'flaky/' | Sort-Object key).sha256 |
            Should -Be ((Get-FileSha256 $folder | Sort-Object Key).Sha256)
        Get-TestMultipartUploads $endpoint | Should -HaveCount 0
    }

    It 'refuses to upload a folder that would fail the import, and says why' {
        $folder = New-Sample 'invalid'
        Remove-Item (Join-Path $folder 'tokenizer.json')
        $errors = $null
        $result = Copy-BedrockModelSource $folder 's3://models/invalid/' -ErrorVariable errors -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ModelSourceInvalid,BedrockImport.Cmdlets.CopyBedrockModelSourceCommand'
        $errors[0].Exception.Message | Should -Match 'TokenizerMissing'
        Get-TestObjects $endpoint -Bucket models -Prefix 'invalid/' | Should -HaveCount 0
    }

    It 'surfaces the failure message of a failed import as a non-terminating error' {
        $folder = New-Sample 'broken'
        Remove-Item (Join-Path $folder 'tokenizer.json')
        # -SkipPreflight: the preflight would stop this folder before the service sees it (ImportPreflight.Tests.ps1).
        $job = Copy-BedrockModelSource $folder 's3://models/broken/' -SkipValidation |
            Start-BedrockModelImport -ModelName broken -RoleArn $role -SkipPreflight
        $errors = $null
        $model = $job | Wait-BedrockImportJob -ErrorVariable errors -ErrorAction SilentlyContinue
        $model | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ImportJobFailed,BedrockImport.Cmdlets.WaitBedrockImportJobCommand'
        $errors[0].Exception.Message | Should -Match 'tokenizer'
        $errors[0].TargetObject.JobName | Should -Be $job.JobName
        (Get-BedrockImportJob $job.JobName).FailureMessage | Should -Not -BeNullOrEmpty
    }

    It 'creates nothing with -WhatIf' {
        $folder = New-Sample 'whatif'
        $before = @(Get-BedrockImportJob).Count
        Copy-BedrockModelSource $folder 's3://models/whatif/' -WhatIf | Should -BeNullOrEmpty
        Start-BedrockModelImport -ModelName whatif -S3Uri 's3://models/happy/' -RoleArn $role -WhatIf | Should -BeNullOrEmpty
        @(Get-BedrockImportJob).Count | Should -Be $before
        Get-TestObjects $endpoint -Bucket models -Prefix 'whatif/' | Should -HaveCount 0
        Get-ImportedModel happy | Remove-ImportedModel -WhatIf
        Get-ImportedModel happy | Should -Not -BeNullOrEmpty
    }

    It 'checks every value before calling the service: <Case>' -ForEach @(
        @{ Case = 'model name'; Splat = @{ ModelName = 'bad name' }; Parameter = 'ModelName' }
        @{ Case = 'job name'; Splat = @{ JobName = '-bad' }; Parameter = 'JobName' }
        @{ Case = 'role ARN'; Splat = @{ RoleArn = 'arn:aws:s3:::bucket' }; Parameter = 'RoleArn' }
        @{ Case = 'S3 URI'; Splat = @{ S3Uri = 's3://Models/x/' }; Parameter = 'S3Uri' }
    ) {
        $arguments = @{ ModelName = 'valid'; S3Uri = 's3://models/happy/'; RoleArn = $role }
        foreach ($key in $Splat.Keys) { $arguments[$key] = $Splat[$key] }
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $errors = $null
        Start-BedrockModelImport @arguments -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'InvalidImportParameter,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].TargetObject | Should -Be $Parameter
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be $calls
    }

    It 'deletes a model with -Force and reports a missing one per item' {
        $folder = New-Sample 'doomed'
        $model = Copy-BedrockModelSource $folder 's3://models/doomed/' | Start-BedrockModelImport -ModelName doomed -RoleArn $role | Wait-BedrockImportJob
        $errors = $null
        'no-such-model', $model.ModelArn | Remove-ImportedModel -Force -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'ResourceNotFoundException,BedrockImport.Cmdlets.RemoveImportedModelCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { Get-ImportedModel doomed -ErrorAction Stop } | Should -Throw -ErrorId 'ResourceNotFoundException,BedrockImport.Cmdlets.GetImportedModelCommand'
    }

    It 'returns at once when a wait times out, with a warning naming the job' {
        Set-TestKnobs $endpoint -Bedrock @{ importDurationMs = 60000 }
        try {
            $job = Start-BedrockModelImport -ModelName slow -S3Uri 's3://models/happy/' -RoleArn $role
            $warnings = $null
            $job | Wait-BedrockImportJob -Timeout 1 -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            $warnings | Should -HaveCount 1
            "$warnings" | Should -Match $job.JobName
        }
        finally {
            Set-TestKnobs $endpoint
        }
    }
}

Describe 'Credentials, region and diagnostics from the built module' -Tag 'CI' {
    It 'answers a wrong secret with a clear SignatureDoesNotMatch-style security error' {
        { Get-ImportedModel -SecretKey 'wrong-secret-0123456789' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidSignatureException,BedrockImport.Cmdlets.GetImportedModelCommand'
        try { Get-ImportedModel -SecretKey 'wrong-secret-0123456789' -ErrorAction Stop } catch { $caught = $_ }
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.Exception.Message | Should -Not -Match 'wrong-secret-0123456789'
        $caught.Exception.Message | Should -Not -Match '   at '
    }

    It 'answers a malformed region before calling anything' {
        { Get-ImportedModel -Region 'us-east-1x' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidRegion,BedrockImport.Cmdlets.GetImportedModelCommand'
    }

    It 'answers a region the endpoint does not serve with a clear error' {
        { Get-ImportedModel -Region 'us-west-2' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSignatureException,BedrockImport.Cmdlets.GetImportedModelCommand'
    }

    It 'answers an unknown profile as an error, never a fall-through' {
        { Get-ImportedModel -ProfileName 'no-such-profile' -AccessKey $null -SecretKey $null -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProfileNotFound,BedrockImport.Cmdlets.GetImportedModelCommand'
    }

    It 'says in Debug where credentials and region came from and in Verbose each call, naming no secret' {
        $secret = $endpoint.SecretKey
        $output = Get-ImportedModel -Verbose -Debug 4>&1 5>&1 6>&1 | Out-String
        $output | Should -Match 'Credentials obtained from -AccessKey/-SecretKey parameters'
        $output | Should -Match "Region obtained from -Region parameter with value 'us-east-1'"
        $output | Should -Match "Invoking Amazon Bedrock operation 'ListImportedModels' in region 'us-east-1' on endpoint"
        $output | Should -Not -Match ([regex]::Escape($secret))

        $jobs = Get-BedrockImportJob -Verbose -Debug 4>&1 5>&1 | Out-String
        $jobs | Should -Match "Invoking Amazon Bedrock operation 'ListModelImportJobs'"
        $jobs | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'reads $StoredAWSCredentials and $StoredAWSRegion when no parameter is given' {
        $saved = $global:PSDefaultParameterValues.Clone()
        try {
            $global:PSDefaultParameterValues = @{ 'Get-ImportedModel:EndpointUrl' = $endpoint.EndpointUrl }
            $global:StoredAWSRegion = $endpoint.Region
            $global:StoredAWSCredentials = 'not-an-AWSPSCredentials'
            { Get-ImportedModel -ErrorAction Stop } | Should -Throw -ErrorId 'CredentialObjectUnreadable,BedrockImport.Cmdlets.GetImportedModelCommand'
        }
        finally {
            Remove-Variable StoredAWSRegion, StoredAWSCredentials -Scope Global -ErrorAction SilentlyContinue
            $global:PSDefaultParameterValues = $saved
        }
    }

    It 'sends every call to AWS_ENDPOINT_URL_BEDROCK when no -EndpointUrl is given' {
        $saved = $global:PSDefaultParameterValues.Clone()
        try {
            $global:PSDefaultParameterValues.Remove('Get-ImportedModel:EndpointUrl')
            $env:AWS_ENDPOINT_URL_BEDROCK = $endpoint.EndpointUrl
            (Get-ImportedModel -Verbose 4>&1 | Out-String) | Should -Match ([regex]::Escape("on endpoint '$($endpoint.EndpointUrl)"))
        }
        finally {
            Remove-Item Env:AWS_ENDPOINT_URL_BEDROCK -ErrorAction SilentlyContinue
            $global:PSDefaultParameterValues = $saved
        }
    }
}

Describe 'Tab completion' -Tag 'CI' {
    It 'completes imported model names from the service' {
        $line = "Get-ImportedModel -EndpointUrl $($endpoint.EndpointUrl) -Region us-east-1 -AccessKey $($endpoint.AccessKey) -SecretKey '$($endpoint.SecretKey)' -ModelIdentifier hap"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Contain 'happy'
        $completions.CompletionMatches.CompletionText | Should -Not -Contain 'rerun'
    }

    It 'completes job names from the service' {
        $line = "Wait-BedrockImportJob -EndpointUrl $($endpoint.EndpointUrl) -Region us-east-1 -AccessKey $($endpoint.AccessKey) -SecretKey '$($endpoint.SecretKey)' -JobIdentifier retried"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Contain 'retried-job'
    }
}
