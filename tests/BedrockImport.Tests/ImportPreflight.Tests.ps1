# The preflight of Start-BedrockModelImport and cheap reruns, against the built module and the local endpoint.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:dataPath = Join-Path $TestDrive 'endpoint'
    $script:endpoint = Start-TestEndpoint -DataPath $dataPath
    Set-TestKnobs $endpoint
    $global:PSDefaultParameterValues['Copy-BedrockModelSource:HuggingFaceEndpoint'] = $endpoint.EndpointUrl
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    function New-Sample([string] $Name) {
        $folder = Join-Path $TestDrive $Name
        New-BedrockSampleModel -Path $folder -ShardCount 1 | Out-Null
        $folder
    }

    # What the cmdlets do not send, signed here: CreateBucket with a LocationConstraint of a region the endpoint does not
    # sign for (the bucket in another region), and Bedrock's ListTagsForResource.
    function Invoke-TestSignedRequest {
        param([Parameter(Mandatory)] $Endpoint, [Parameter(Mandatory)] [string] $Method, [Parameter(Mandatory)] [string] $Path, [string] $Body = '',
            [string] $Service = 's3', [string] $ContentType = 'application/xml', [string] $Region = $Endpoint.Region)
        $utf8 = [System.Text.Encoding]::UTF8
        $hex = { param([byte[]] $b) -join ($b | ForEach-Object { $_.ToString('x2') }) }
        $hmac = { param([byte[]] $key, [string] $text) $h = [System.Security.Cryptography.HMACSHA256]::new($key); try { $h.ComputeHash($utf8.GetBytes($text)) } finally { $h.Dispose() } }
        $uri = [uri]::new("$($Endpoint.EndpointUrl.TrimEnd('/'))$Path")
        $now = [DateTime]::UtcNow
        $amzDate = $now.ToString("yyyyMMdd'T'HHmmss'Z'"); $date = $now.ToString('yyyyMMdd')
        $payloadHash = & $hex ([System.Security.Cryptography.SHA256]::HashData($utf8.GetBytes($Body)))
        $hostHeader = $uri.Authority
        $canonical = "$Method`n$($uri.AbsolutePath)`n`nhost:$hostHeader`nx-amz-content-sha256:$payloadHash`nx-amz-date:$amzDate`n`nhost;x-amz-content-sha256;x-amz-date`n$payloadHash"
        $scope = "$date/$Region/$Service/aws4_request"
        $toSign = "AWS4-HMAC-SHA256`n$amzDate`n$scope`n$(& $hex ([System.Security.Cryptography.SHA256]::HashData($utf8.GetBytes($canonical))))"
        $key = & $hmac $utf8.GetBytes("AWS4$($Endpoint.SecretKey)") $date
        foreach ($part in $Region, $Service, 'aws4_request') { $key = & $hmac $key $part }
        $signature = & $hex (& $hmac $key $toSign)
        $headers = @{
            'x-amz-date' = $amzDate; 'x-amz-content-sha256' = $payloadHash
            Authorization = "AWS4-HMAC-SHA256 Credential=$($Endpoint.AccessKey)/$scope, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$signature"
        }
        $arguments = @{ Uri = $uri; Method = $Method; Headers = $headers; SkipHttpErrorCheck = $true; SkipHeaderValidation = $true; MaximumRedirection = 0; ErrorAction = 'SilentlyContinue' }
        if ($Body) { $arguments.Body = $utf8.GetBytes($Body); $arguments.ContentType = $ContentType }
        Invoke-WebRequest @arguments
    }

    function Invoke-TestSignedBedrockListTags($Endpoint, [string] $Arn) {
        $answer = Invoke-TestSignedRequest $Endpoint POST '/listTagsForResource' (@{ resourceARN = $Arn } | ConvertTo-Json) -Service bedrock -ContentType 'application/json'
        if ($answer.StatusCode -ne 200) { throw "ListTagsForResource answered $($answer.StatusCode): $($answer.Content)" }
        @(($answer.Content | ConvertFrom-Json).tags)
    }

    $created = Invoke-TestSignedRequest $endpoint PUT '/eu-models' '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>'
    if ($created.StatusCode -ne 200) { throw "CreateBucket in eu-west-1 answered $($created.StatusCode): $($created.Content)" }
    Copy-BedrockModelSource (New-Sample 'good') 's3://preflight/good/' -CreateBucket | Out-Null
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'The preflight of Start-BedrockModelImport' -Tag 'CI' {
    It 'stops at a bucket in another region, naming both regions and the fix, and creates nothing' {
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $errors = $null
        Start-BedrockModelImport -ModelName faraway -S3Uri 's3://eu-models/model/' -RoleArn $role -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BucketInOtherRegion,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].Exception.Message | Should -Match "The bucket 'eu-models' is in eu-west-1, but the import job would run in us-east-1"
        $errors[0].Exception.Message | Should -Match 'Start-BedrockModelImport -Region eu-west-1'
        $errors[0].Exception.Message | Should -Match 'Copy-BedrockModelSource'
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be $calls
    }

    It 'stops at an empty prefix with ModelSourceEmpty' {
        $errors = $null
        Start-BedrockModelImport -ModelName nothing -S3Uri 's3://preflight/nothing-here/' -RoleArn $role -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ModelSourceEmpty,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].Exception.Message | Should -Match 's3://preflight/nothing-here/ holds no objects'
        @(Get-BedrockImportJob -NameContains nothing) | Should -HaveCount 0
    }

    It 'stops at a broken prefix with the findings Test-BedrockModelSource gives' {
        $folder = New-Sample 'broken'
        Remove-Item (Join-Path $folder 'tokenizer.json')
        Copy-BedrockModelSource $folder 's3://preflight/broken/' -SkipValidation | Out-Null
        $errors = $null
        Start-BedrockModelImport -ModelName broken -S3Uri 's3://preflight/broken/' -RoleArn $role -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'ModelSourceInvalid,BedrockImport.Cmdlets.StartBedrockModelImportCommand'
        $errors[0].Exception.Message | Should -Match 'TokenizerMissing'
        $errors[0].Exception.Message | Should -Match ([regex]::Escape('Test-BedrockModelSource -S3Uri s3://preflight/broken/'))
        (Test-BedrockModelSource -S3Uri 's3://preflight/broken/').Errors.Code | Should -Contain 'TokenizerMissing'
        @(Get-BedrockImportJob -NameContains broken) | Should -HaveCount 0
    }

    It 'lets each of them through with -SkipPreflight: <Case>' -ForEach @(
        @{ Case = 'another region'; Name = 'skip-region'; S3Uri = 's3://eu-models/model/' }
        @{ Case = 'empty prefix'; Name = 'skip-empty'; S3Uri = 's3://preflight/nothing-here/' }
        @{ Case = 'broken prefix'; Name = 'skip-broken'; S3Uri = 's3://preflight/broken/' }
    ) {
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $job = Start-BedrockModelImport -ModelName $Name -S3Uri $S3Uri -RoleArn $role -SkipPreflight -WarningAction SilentlyContinue
        $job.ImportedModelName | Should -Be $Name
        $job.JobArn | Should -Not -BeNullOrEmpty
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be ($calls + 1)
    }

    It 'warns and goes on when checking is denied' {
        Set-TestKnobs $endpoint -Knobs @{ s3 = @{ accessDeniedOperations = @('HeadBucket') } }
        try {
            $warnings = $null
            $errors = $null
            $job = Start-BedrockModelImport -ModelName denied -S3Uri 's3://preflight/good/' -RoleArn $role -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors
        }
        finally {
            Set-TestKnobs $endpoint
        }
        $errors | Should -BeNullOrEmpty
        $job.ImportedModelName | Should -Be 'denied'
        "$warnings" | Should -Match "Could not check the region of the bucket 'preflight'"
        "$warnings" | Should -Match '403'
        Get-TestCallCount $endpoint 's3:HeadBucket' | Should -BeGreaterThan 0
    }

    It 'tags the job and the model with the source identity' {
        $model = Copy-BedrockModelSource (New-Sample 'tagged') 's3://preflight/tagged/' |
            Start-BedrockModelImport -ModelName tagged -RoleArn $role -Tag @{ team = 'ml' } | Wait-BedrockImportJob
        $model.ModelName | Should -Be 'tagged'
        # The identity documented in help: SHA-256 over "key<TAB>size<TAB>ETag<LF>" of each object, sorted by key.
        $lines = [System.Collections.Generic.List[string]]::new()
        foreach ($object in Get-TestObjects $endpoint -Bucket preflight -Prefix 'tagged/') { $lines.Add("$($object.key.Substring('tagged/'.Length))`t$($object.size)`t$($object.etag.Trim('"'))`n") }
        $lines.Sort([System.StringComparer]::Ordinal)
        $lines = -join $lines
        $digest = -join ([System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($lines)) | ForEach-Object { $_.ToString('x2') })
        $job = Get-BedrockImportJob -NameContains tagged
        $job | Should -HaveCount 1
        $job.JobArn | Should -Not -BeNullOrEmpty
        $listTags = { param($arn) (Invoke-TestSignedBedrockListTags $endpoint $arn) }
        $jobTags = & $listTags $job.JobArn
        ($jobTags | Where-Object key -eq 'bedrockimport:source').value | Should -Be "s3-etags-sha256:$digest"
        ($jobTags | Where-Object key -eq 'team').value | Should -Be 'ml'
        ((& $listTags $model.ModelArn) | Where-Object key -eq 'bedrockimport:source').value | Should -Be "s3-etags-sha256:$digest"
    }
}

Describe 'Cheap reruns of Copy | Start | Wait' -Tag 'CI' {
    It 'returns the existing model on a second run of the same pipeline without creating a job' {
        $folder = New-Sample 'rerun'
        $first = Copy-BedrockModelSource $folder 's3://preflight/rerun/' | Start-BedrockModelImport -ModelName rerun -RoleArn $role | Wait-BedrockImportJob
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $polls = Get-TestCallCount $endpoint 'bedrock:GetModelImportJob'

        $warnings = $null
        $second = Copy-BedrockModelSource $folder 's3://preflight/rerun/' |
            Start-BedrockModelImport -ModelName rerun -RoleArn $role -WarningVariable warnings -WarningAction SilentlyContinue | Wait-BedrockImportJob

        $second.ModelArn | Should -Be $first.ModelArn
        $second.ModelName | Should -Be 'rerun'
        $second.GetType().Name | Should -Be $first.GetType().Name
        "$warnings" | Should -Match "Reused the imported model 'rerun'"
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be $calls
        Get-TestCallCount $endpoint 'bedrock:GetModelImportJob' | Should -Be $polls -Because 'a reused model passes through Wait without waiting'
        @(Get-BedrockImportJob -NameContains rerun) | Should -HaveCount 1
    }

    It 'returns the running job while the first import is still in progress' {
        Set-TestKnobs $endpoint -Bedrock @{ importDurationMs = 600000 }
        try {
            Copy-BedrockModelSource (New-Sample 'running') 's3://preflight/running/' | Out-Null
            $first = Start-BedrockModelImport -ModelName running -S3Uri 's3://preflight/running/' -RoleArn $role -JobName running-first
            $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
            $warnings = $null
            $second = Start-BedrockModelImport -ModelName running -S3Uri 's3://preflight/running/' -RoleArn $role -WarningVariable warnings -WarningAction SilentlyContinue
        }
        finally {
            Set-TestKnobs $endpoint
        }
        $second.JobArn | Should -Be $first.JobArn
        $second.Status | Should -Be 'InProgress'
        "$warnings" | Should -Match "Reused the model import job 'running-first'"
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be $calls
    }

    It 'reuses a Hugging Face copy by its commit' {
        $hubFolder = Join-Path $dataPath 'hub/preflight-org/tiny'
        New-BedrockSampleModel -Path $hubFolder -ShardCount 1 | Out-Null
        $copy = Copy-BedrockModelSource -HuggingFaceModel preflight-org/tiny 's3://preflight/hub/'
        $copy.HubCommit | Should -Match '^[0-9a-f]{40}$'
        $first = $copy | Start-BedrockModelImport -ModelName hubmodel -RoleArn $role | Wait-BedrockImportJob
        $jobArn = (Get-BedrockImportJob -NameContains hubmodel).JobArn
        ((Invoke-TestSignedBedrockListTags $endpoint $jobArn) | Where-Object key -eq 'bedrockimport:source').value | Should -Be "hf-commit:$($copy.HubCommit)"

        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $second = Copy-BedrockModelSource -HuggingFaceModel preflight-org/tiny 's3://preflight/hub/' |
            Start-BedrockModelImport -ModelName hubmodel -RoleArn $role -WarningAction SilentlyContinue | Wait-BedrockImportJob
        $second.ModelArn | Should -Be $first.ModelArn
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be $calls
    }

    It 'waits for a job and passes a reused model through in one Wait' {
        $reused = Start-BedrockModelImport -ModelName rerun -S3Uri 's3://preflight/rerun/' -RoleArn $role -WarningAction SilentlyContinue
        $reused.ModelArn | Should -Not -BeNullOrEmpty
        $job = Start-BedrockModelImport -ModelName mixed -S3Uri 's3://preflight/good/' -RoleArn $role
        $models = @($reused, $job | Wait-BedrockImportJob)
        ($models.ModelName | Sort-Object) | Should -Be @('mixed', 'rerun')
        ($models | Where-Object ModelName -eq 'rerun').ModelArn | Should -Be $reused.ModelArn
    }

    It 'imports a model of another name from the same source anew' {
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $model = Start-BedrockModelImport -ModelName rerun-copy -S3Uri 's3://preflight/rerun/' -RoleArn $role | Wait-BedrockImportJob
        $model.ModelName | Should -Be 'rerun-copy'
        $model.ModelArn | Should -Not -Be (Get-ImportedModel rerun).ModelArn
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be ($calls + 1)
    }

    It 'sends CreateModelImportJob with -Force, and creates the model anew once the old one is removed' {
        $calls = Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob'
        $errors = $null
        Copy-BedrockModelSource (Join-Path $TestDrive 'rerun') 's3://preflight/rerun/' |
            Start-BedrockModelImport -ModelName rerun -RoleArn $role -Force -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be ($calls + 1)
        # Bedrock keeps one model per name: -Force does not reuse, so the service refuses the name still in use.
        $errors[0].FullyQualifiedErrorId | Should -Be 'ConflictException,BedrockImport.Cmdlets.StartBedrockModelImportCommand'

        $old = Get-ImportedModel rerun
        Remove-ImportedModel rerun -Force
        $new = Copy-BedrockModelSource (Join-Path $TestDrive 'rerun') 's3://preflight/rerun/' |
            Start-BedrockModelImport -ModelName rerun -RoleArn $role -Force | Wait-BedrockImportJob
        $new.ModelArn | Should -Not -Be $old.ModelArn
        Get-TestCallCount $endpoint 'bedrock:CreateModelImportJob' | Should -Be ($calls + 2)
    }
}
