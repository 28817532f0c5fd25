BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:dataPath = Join-Path $TestDrive 'endpoint'
    $script:endpoint = Start-TestEndpoint -DataPath $dataPath
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    # The local endpoint serves the Hub paths too.
    foreach ($name in 'Copy-BedrockModelSource', 'Test-BedrockModelSource') {
        $global:PSDefaultParameterValues["${name}:HuggingFaceEndpoint"] = $endpoint.EndpointUrl
    }
    $script:token = 'hf_pesterSecretToken0123456789abcdef'
    $script:savedTokens = @{}
    foreach ($name in 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_ENDPOINT', 'HF_HUB_DISABLE_IMPLICIT_TOKEN') {
        $savedTokens[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    # No token file either: the lookup must find nothing unless a test sets HF_TOKEN.
    $env:HF_HUB_DISABLE_IMPLICIT_TOKEN = $null
    $script:savedTokenPath = $env:HF_TOKEN_PATH
    $env:HF_TOKEN_PATH = Join-Path $TestDrive 'no-token-file'

    # A Hub repository is a folder DATA/hub/<org>/<name>/ of the endpoint; .hub.json makes it private or gated.
    function New-HubRepo([string] $RepoId, [string] $Settings) {
        $folder = Join-Path (Join-Path $dataPath 'hub') $RepoId
        New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes 12MB | Out-Null
        if ($Settings) { Set-Content -Path (Join-Path $folder '.hub.json') -Value $Settings }
        $folder
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    foreach ($name in $savedTokens.Keys) { [Environment]::SetEnvironmentVariable($name, $savedTokens[$name]) }
    $env:HF_TOKEN_PATH = $savedTokenPath
}

Describe 'Copy-BedrockModelSource -HuggingFaceModel' -Tag 'CI' {
    It 'streams a Hub model to S3 and into an import job in one pipeline' {
        $folder = New-HubRepo 'acme/youko-mini'
        $model = Copy-BedrockModelSource -HuggingFaceModel acme/youko-mini -Destination 's3://models/youko/' -CreateBucket |
            Start-BedrockModelImport -ModelName youko -RoleArn $role |
            Wait-BedrockImportJob

        $model.ModelName | Should -Be 'youko'
        $model.S3Uri | Should -Be 's3://models/youko/'
        $model.ModelArchitecture | Should -Not -BeNullOrEmpty
        $remote = Get-TestObjects $endpoint -Bucket models -Prefix 'youko/' | Sort-Object key
        $repo = Get-FileSha256 $folder | Where-Object { -not $_.Key.StartsWith('.') } | Sort-Object Key
        $remote.key | Should -Be ($repo.Key | ForEach-Object { "youko/$_" })
        $remote.sha256 | Should -Be $repo.Sha256
        Get-TestMultipartUploads $endpoint | Should -BeNullOrEmpty
    }

    It 'accepts the model URL with a revision and skips everything on a rerun' {
        New-HubRepo 'acme/by-url' | Out-Null
        $url = "$($endpoint.EndpointUrl.TrimEnd('/'))/acme/by-url/tree/main"
        $first = Copy-BedrockModelSource -HuggingFaceModel $url -Destination 's3://models/by-url/'
        $second = Copy-BedrockModelSource -HuggingFaceModel acme/by-url -Revision main -Destination 's3://models/by-url/'

        $first.Uploaded | Should -Be $first.Bytes
        $first.Files | Should -BeGreaterThan 3
        $second.Skipped | Should -Be $second.Files
        $second.Uploaded | Should -Be 0
    }

    It 'copies only what an import needs by default; -Include adds and -Exclude removes by wildcard' {
        $folder = New-HubRepo 'acme/with-extras'
        New-Item -ItemType Directory (Join-Path $folder 'original'), (Join-Path $folder 'onnx') | Out-Null
        $extras = 'original/consolidated.00.pth', 'original/params.json', 'pytorch_model.bin', 'README.md', 'onnx/model.onnx'
        foreach ($extra in $extras) { [IO.File]::WriteAllBytes((Join-Path $folder $extra), [byte[]]::new(4096)) }
        Set-Content (Join-Path $folder 'chat_template.jinja') '{{ messages[0].content }}'
        $needed = @(Get-ChildItem $folder -File | Where-Object { $_.Name -match '\.safetensors$|^(config|generation_config|tokenizer|tokenizer_config)\.json$|^model\.safetensors\.index\.json$|^chat_template\.jinja$' } | ForEach-Object Name)
        $needed.Count | Should -Be 8

        $default = Copy-BedrockModelSource -HuggingFaceModel acme/with-extras -Destination 's3://models/extras-default/' -Verbose 4>&1
        $result = $default | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $keys = @(Get-TestObjects $endpoint -Bucket models -Prefix 'extras-default/' | ForEach-Object { $_.key.Substring('extras-default/'.Length) })
        ($keys | Sort-Object) | Should -Be ($needed | Sort-Object)
        $result.Files | Should -Be $needed.Count
        $leftOut = "$($default | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Left out*' })"
        foreach ($extra in $extras) { $leftOut | Should -Match ([regex]::Escape($extra)) }

        Copy-BedrockModelSource -HuggingFaceModel acme/with-extras -Destination 's3://models/extras-chosen/' -Include 'original/*', 'README.MD' -Exclude '*.jinja' | Out-Null
        $keys = @(Get-TestObjects $endpoint -Bucket models -Prefix 'extras-chosen/' | ForEach-Object { $_.key.Substring('extras-chosen/'.Length) })
        $expected = @($needed | Where-Object { $_ -ne 'chat_template.jinja' }) + 'original/consolidated.00.pth', 'original/params.json', 'README.md'
        ($keys | Sort-Object) | Should -Be ($expected | Sort-Object)
    }

    It 'resumes an interrupted copy: the files that finished are skipped, only the rest is sent' {
        $folder = New-HubRepo 'acme/interrupted'
        $shards = @(Get-ChildItem $folder -Filter '*.safetensors')
        # The CDN (where LFS files such as the shards are read) answers slowly: the small files finish first, and the
        # copy is stopped as Ctrl+C would stop it while the shards are still on their way.
        Set-TestKnobs $endpoint @{ latencyMs = @{ 'hub:Cdn' = 4000 } }
        $copy = [powershell]::Create()
        try {
            $null = $copy.AddScript({
                param($module, $endpoint)
                Import-Module $module
                Copy-BedrockModelSource -HuggingFaceModel acme/interrupted -Destination 's3://models/interrupted/' -SkipValidation `
                    -HuggingFaceEndpoint $endpoint.EndpointUrl -EndpointUrl $endpoint.EndpointUrl -Region $endpoint.Region `
                    -AccessKey $endpoint.AccessKey -SecretKey $endpoint.SecretKey
            }).AddArgument($env:BEDROCKIMPORT_MODULE).AddArgument($endpoint)
            $running = $copy.BeginInvoke()
            Wait-TestCondition { @(Get-TestObjects $endpoint -Bucket models -Prefix 'interrupted/').Count -ge 5 } -TimeoutSeconds 30 | Should -BeTrue
            $copy.Stop()
            $running.IsCompleted | Should -BeTrue
        }
        finally {
            $copy.Dispose()
            Set-TestKnobs $endpoint
        }
        $finished = @(Get-TestObjects $endpoint -Bucket models -Prefix 'interrupted/')
        $finished.key | Should -Not -Contain "interrupted/$($shards[0].Name)"
        Wait-TestCondition { -not (Get-TestMultipartUploads $endpoint) } -TimeoutSeconds 10 | Should -BeTrue -Because 'a stopped copy leaves no multipart upload open'

        $rerun = Copy-BedrockModelSource -HuggingFaceModel acme/interrupted -Destination 's3://models/interrupted/'
        $rerun.Skipped | Should -Be $finished.Count
        $rerun.Uploaded | Should -Be (($shards | Measure-Object Length -Sum).Sum)
        $rerun.Files | Should -Be ($finished.Count + $shards.Count)
        $remote = Get-TestObjects $endpoint -Bucket models -Prefix 'interrupted/' | Sort-Object key
        $repo = Get-FileSha256 $folder | Where-Object { -not $_.Key.StartsWith('.') } | Sort-Object Key
        $remote.sha256 | Should -Be $repo.Sha256
    }

    It 'refuses a URL revision that -Revision contradicts, before reading anything' {
        $url = "$($endpoint.EndpointUrl.TrimEnd('/'))/acme/by-url/tree/main"
        { Copy-BedrockModelSource -HuggingFaceModel $url -Revision v2 -Destination 's3://models/conflict/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,*'
        { Copy-BedrockModelSource -HuggingFaceModel 'not a model' -Destination 's3://models/conflict/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidHuggingFaceModel,*'
    }

    It 'fails a private repository without a token with HubRepositoryNotFound and uploads nothing' {
        New-HubRepo 'acme/private-one' -Settings "{`"private`":true,`"tokens`":[`"$token`"]}" | Out-Null
        $before = Get-TestCallCount $endpoint 's3:PutObject'

        { Copy-BedrockModelSource -HuggingFaceModel acme/private-one -Destination 's3://models/private-one/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'HubRepositoryNotFound,*'

        Get-TestCallCount $endpoint 's3:PutObject' | Should -Be $before
    }

    It 'tells the user to accept the terms and set HF_TOKEN for a gated repository' {
        New-HubRepo 'acme/gated-one' -Settings "{`"gated`":true,`"tokens`":[`"$token`"]}" | Out-Null
        $failure = $null
        try { Copy-BedrockModelSource -HuggingFaceModel acme/gated-one -Destination 's3://models/gated-one/' -ErrorAction Stop }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -BeLike 'HubGatedRepository,*'
        $failure.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $failure.Exception.Message | Should -Match 'accept its terms'
        $failure.Exception.Message | Should -Match 'HF_TOKEN'
    }

    It 'uses HF_TOKEN for a private repository and never writes it to the verbose or debug stream' {
        New-HubRepo 'acme/private-two' -Settings "{`"private`":true,`"tokens`":[`"$token`"]}" | Out-Null
        $env:HF_TOKEN = $token
        try {
            $output = Copy-BedrockModelSource -HuggingFaceModel acme/private-two -Destination 's3://models/private-two/' -Verbose -Debug *>&1 |
                ForEach-Object { "$_" }
            $tested = Test-BedrockModelSource -HuggingFaceModel acme/private-two -Verbose -Debug -WarningAction Continue *>&1 | ForEach-Object { "$_" }
        }
        finally {
            $env:HF_TOKEN = $null
        }

        ($output -join "`n") | Should -Match 'token: HF_TOKEN'
        ($output -join "`n") | Should -Match 's3://models/private-two/'
        ($output + $tested) -join "`n" | Should -Not -Match ([regex]::Escape($token))
        ($output + $tested) -join "`n" | Should -Not -Match 'pesterSecret'
    }
}

Describe 'Test-BedrockModelSource -HuggingFaceModel' -Tag 'CI' {
    It 'passes a valid Hub model after reading only headers' {
        New-HubRepo 'acme/valid' | Out-Null
        Invoke-RestMethod "$($endpoint.EndpointUrl.TrimEnd('/'))/_hub/traffic" -Method Delete | Out-Null
        $report = Test-BedrockModelSource -HuggingFaceModel acme/valid
        $report.Passed | Should -BeTrue
        Test-BedrockModelSource -HuggingFaceModel acme/valid -Revision main -Quiet | Should -BeTrue
        $traffic = Invoke-RestMethod "$($endpoint.EndpointUrl.TrimEnd('/'))/_hub/traffic"
        $traffic.bytesServed | Should -BeLessThan 1MB
    }

    It 'reports an unknown revision with HubRevisionNotFound' {
        New-HubRepo 'acme/revisions' | Out-Null
        { Test-BedrockModelSource -HuggingFaceModel acme/revisions -Revision no-such-branch -ErrorAction Stop } |
            Should -Throw -ErrorId 'HubRevisionNotFound,*'
    }
}
