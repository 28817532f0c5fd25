# R5: secrets stay secret, Authorization stays on its host, and the endpoint stays on loopback unless asked.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:wrongSecret = 'wrongSecretKey/RELIABILITY+0123456789abcdef'
    $script:sessionToken = 'FwoGZXIvYXdzRELIABILITYFAKESESSIONTOKEN0123456789'
    $script:hfToken = 'hf_RELIABILITYfakeHubToken0123456789abcd'
    $script:savedHfToken = $env:HF_TOKEN
    $env:HF_TOKEN = $hfToken
}

AfterAll {
    $env:HF_TOKEN = $savedHfToken
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'R5: secrets and boundaries' -Tag 'Reliability' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'answers a wrong secret with a clear error that names the signature problem' {
        $caught = $null
        try { Get-ImportedModel -SecretKey $wrongSecret -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'InvalidSignatureException,BedrockImport.Cmdlets.GetImportedModelCommand'
        $caught.CategoryInfo.Category | Should -Be 'SecurityError'
        $caught.Exception.Message | Should -Match 'signature'
        $caught.Exception.Message | Should -Match 'Secret Access Key'
        $caught.Exception.Message | Should -Not -Match ([regex]::Escape($wrongSecret))
    }

    It 'writes no secret key, session token or HF token to any stream at -Verbose -Debug' {
        $folder = Join-Path $work 'secret-sample'
        New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes 12MB | Out-Null
        $transcript = Join-Path $work 'transcript.txt'
        $secret = $endpoint.SecretKey
        $Error.Clear()
        Start-Transcript -Path $transcript -UseMinimalHeader | Out-Null
        try {
            $captured = & {
                $model = Copy-BedrockModelSource $folder 's3://secrets/model/' -CreateBucket -PartSizeBytes 5MB -Verbose -Debug |
                    Start-BedrockModelImport -ModelName secrets -RoleArn $role -Verbose -Debug |
                    Wait-BedrockImportJob -Verbose -Debug
                $model
                Get-ImportedModel -Verbose -Debug
                Get-ImportedModel $model.ModelArn -Verbose -Debug
                Get-BedrockImportJob -Verbose -Debug
                Test-BedrockModelSource $folder -Verbose -Debug -WarningAction Continue
                Invoke-ImportedModel $model.ModelArn -Prompt 'tell me a secret' -MaxTokens 8 -Stream -Verbose -Debug
                'one', 'two' | Invoke-ImportedModel -ModelId $model.ModelArn -MaxTokens 3 -ThrottleLimit 2 -Verbose -Debug
                @{ q_id = 1; question = 'secret?'; choice0 = 'a'; choice1 = 'b'; label = 0 }, @{ q_id = 2; question = 'other?'; choice0 = 'a'; choice1 = 'b'; label = 1 } |
                    Invoke-ImportedModelEvaluation $model.ModelArn, 'anthropic.claude-3-sonnet-20240229-v1:0' -ThrottleLimit 2 -ResultPath (Join-Path $work 'secret-rows.jsonl') -ReportPath (Join-Path $work 'secret-report.html') -Verbose -Debug
                @{ q_id = 1; question = 'secret?'; choice0 = 'a'; choice1 = 'b'; label = 0 } | Invoke-ImportedModelEvaluation $model.ModelArn -SessionToken $sessionToken -Verbose -Debug -ErrorAction Continue
                # Failing calls: a wrong secret, a session token the endpoint does not know, a missing model.
                Get-ImportedModel -SecretKey $wrongSecret -Verbose -Debug -ErrorAction Continue
                Copy-BedrockModelSource $folder 's3://secrets/wrong/' -SecretKey $wrongSecret -Verbose -Debug -ErrorAction Continue
                Get-ImportedModel -SessionToken $sessionToken -Verbose -Debug -ErrorAction Continue
                Invoke-ImportedModel 'no-such-model' -Prompt hi -SessionToken $sessionToken -Stream -Verbose -Debug -ErrorAction Continue
            } *>&1 | Out-String -Width 500
        }
        finally { Stop-Transcript | Out-Null }

        $errorsText = ($Error | ForEach-Object { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails; $_.TargetObject | Out-String }) -join "`n"
        $files = (Get-Content (Join-Path $work 'secret-rows.jsonl'), (Join-Path $work 'secret-report.html') -Raw) -join "`n"
        $everything = $captured + "`n" + (Get-Content $transcript -Raw) + "`n" + $errorsText + "`n" + $files
        Write-Host ("R5: searched {0:N0} characters of output, transcript and error records" -f $everything.Length)
        # The run did what it should, so the search covers real traffic and real failures.
        $captured | Should -Match "operation 'InvokeModelWithResponseStream'"
        $captured | Should -Match 'UploadPart|multipart'
        $errorsText | Should -Match 'InvalidSignatureException'
        $files | Should -Match 'data-field="Accuracy"' -Because 'the evaluation wrote its report'
        $errorsText | Should -Match 'SignatureDoesNotMatch'
        foreach ($value in $secret, $wrongSecret, $sessionToken, $hfToken) {
            $everything | Should -Not -Match ([regex]::Escape($value))
        }
        # Signing keys and signatures are derived from the secret; the signature of a request is not logged either.
        $everything | Should -Not -Match 'Signature=[0-9a-f]{64}'
    }

    It 'never sends Authorization to the CDN host the Hub redirects to' {
        $copy = Get-Command Copy-BedrockModelSource
        $test = Get-Command Test-BedrockModelSource
        if (-not ($copy.Parameters.ContainsKey('HuggingFaceModel') -and $test.Parameters.ContainsKey('HuggingFaceModel'))) {
            Set-ItResult -Skipped -Because 'Copy-BedrockModelSource / Test-BedrockModelSource -HuggingFaceModel are not in the module yet'
            return
        }
        $repository = Join-Path $work 'endpoint/hub/rel-org/gated-model'
        New-BedrockSampleModel -Path $repository -ShardCount 2 | Out-Null
        @{ gated = $true; tokens = @($hfToken) } | ConvertTo-Json | Set-Content (Join-Path $repository '.hub.json')
        $savedHfEndpoint = $env:HF_ENDPOINT
        $env:HF_ENDPOINT = $endpoint.EndpointUrl
        try {
            Invoke-RestMethod "$($endpoint.EndpointUrl)/_hub/traffic" -Method Delete | Out-Null
            (Test-BedrockModelSource -HuggingFaceModel 'rel-org/gated-model').Passed | Should -BeTrue
            Copy-BedrockModelSource -HuggingFaceModel 'rel-org/gated-model' -Destination 's3://hub-copy/gated/' -CreateBucket | Should -Not -BeNullOrEmpty
        }
        finally { $env:HF_ENDPOINT = $savedHfEndpoint }

        $requests = @((Invoke-RestMethod "$($endpoint.EndpointUrl)/_hub/traffic").requests)
        $cdn = @($requests | Where-Object operation -eq 'Cdn')
        Write-Host ("R5: {0} Hub requests, {1} to the CDN host" -f $requests.Count, $cdn.Count)
        $cdn.Count | Should -BeGreaterThan 0 -Because 'the LFS files come through the CDN redirect'
        @($cdn | Where-Object hadAuthorization) | Should -HaveCount 0
        @($requests | Where-Object { $_.operation -eq 'Resolve' -and $_.hadAuthorization }).Count | Should -BeGreaterThan 0 -Because 'the gated repository needs the token on the Hub host'
        $remote = Get-TestObjects $endpoint -Bucket hub-copy -Prefix 'gated/' | Sort-Object key
        $remote.sha256 | Should -Be ((Get-FileSha256 $repository | Where-Object Key -ne '.hub.json' | Sort-Object Key).Sha256)
    }

    It 'refuses to listen on a non-loopback address without --allow-remote' {
        $endpointDll = Join-Path (Split-Path $env:BEDROCKIMPORT_MODULE) 'endpoint/BedrockImport.LocalEndpoint.dll'
        Test-Path $endpointDll | Should -BeTrue
        $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($argument in $endpointDll, '--port', '0', '--data', (Join-Path $work 'remote-data'), '--listen', '0.0.0.0') { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $process = [Diagnostics.Process]::Start($start)
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            $exited = $process.WaitForExit(30000)
            if (-not $exited) { $process.Kill($true) }
            $exited | Should -BeTrue -Because 'the endpoint must refuse at once, not listen'
            $process.ExitCode | Should -Not -Be 0
            $output = $stdout.Result + $stderr.Result
            $output | Should -Match '--allow-remote'
            $output | Should -Not -Match '"url"' -Because 'it must never report itself ready'
        }
        finally { $process.Dispose() }
    }
}
