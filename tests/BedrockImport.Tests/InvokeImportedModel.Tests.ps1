BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:question = "質問: 次のうち、金管楽器であるのはどれ？`nchoice0: トランペット`nchoice1: ガラス`n回答:"

    function Import-Sample([string] $Name, [switch] $ChatTemplate) { Import-TestSample $Name -Bucket invoke -Folder $TestDrive -RoleArn $role -ChatTemplate:$ChatTemplate -Response @{ '金管楽器' = ' <answer>トランペット</answer>' } }

    $script:model = Import-Sample 'base'
    $script:instruct = Import-Sample 'instruct' -ChatTemplate
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Invoke-ImportedModel from the built module' -Tag 'CI' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'answers 200 piped prompts with -ThrottleLimit 8, each once, in input order' {
        $prompts = 1..200 | ForEach-Object { "prompt number $_" }
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $results = $prompts | Invoke-ImportedModel -ModelId $model.ModelArn -MaxTokens 4 -ThrottleLimit 8
        $results | Should -HaveCount 200
        $results.Prompt | Should -Be $prompts
        $results | ForEach-Object { $_.Completion | Should -Not -BeNullOrEmpty }
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 200
    }

    It 'binds rows with Prompt and Id by property name, and resolves a model name once' {
        $rows = @('one', 'two', 'three') | ForEach-Object -Begin { $i = 0 } -Process { [pscustomobject]@{ Id = "q$((++$i))"; Prompt = "say $_" } }
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $results = $rows | Invoke-ImportedModel -ModelId base -MaxTokens 3
        $results.Id | Should -Be @('q1', 'q2', 'q3')
        $results.Prompt | Should -Be $rows.Prompt
        $results.ModelArn | Select-Object -Unique | Should -Be $model.ModelArn
        Get-TestCallCount $endpoint 'bedrock:GetImportedModel' | Should -BeLessOrEqual 1
    }

    It 'holds the stop sequence: ignore-stop <IgnoreStop>, stream <Stream>' -ForEach @(
        @{ IgnoreStop = $false; Stream = $false }
        @{ IgnoreStop = $true; Stream = $false }
        @{ IgnoreStop = $false; Stream = $true }
        @{ IgnoreStop = $true; Stream = $true }
    ) {
        Set-TestKnobs $endpoint -Bedrock @{ ignoreStop = $IgnoreStop }
        $result = Invoke-ImportedModel $model.ModelArn -Prompt $question -StopSequence '</answer>' -Stream:$Stream 6>$null
        $result.Completion | Should -Be ' <answer>トランペット'
        $result.Completion | Should -Not -Match '</answer>'
        if ($IgnoreStop) { $result.StopReason | Should -Be 'stop_sequence' }

        if ($IgnoreStop) {
            # We cut it ourselves, so we can keep it; a service that honours stop drops it before we see it.
            $kept = Invoke-ImportedModel $model.ModelArn -Prompt $question -StopSequence '</answer>' -IncludeStopSequence -Stream:$Stream 6>$null
            $kept.Completion | Should -Be ' <answer>トランペット</answer>'
        }
    }

    It 'closes a stream as soon as the stop sequence appears when the service ignores it' {
        Set-TestKnobs $endpoint -Bedrock @{ ignoreStop = $true }
        $result = Invoke-ImportedModel $model.ModelArn -Prompt $question -StopSequence '</answer>' -MaxTokens 400 -Stream 6>$null
        $result.StopReason | Should -Be 'stop_sequence'
        # The service would send 200 more tokens after the stop; we read only up to it.
        @($result.Raw).Count | Should -BeLessThan 30
    }

    It 'writes streamed text to the host and still outputs the result' {
        $host_ = Invoke-ImportedModel $model.ModelArn -Prompt $question -StopSequence '</answer>' -Stream 6>&1
        $texts = $host_ | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | ForEach-Object { $_.MessageData.Message }
        ($texts -join '') | Should -Match 'トランペット'
        $result = $host_ | Where-Object { $_ -isnot [System.Management.Automation.InformationRecord] }
        $result.Completion | Should -Be ' <answer>トランペット'
        $result.FirstTokenMs | Should -Not -BeNullOrEmpty
    }

    It 'round-trips the <Format> format' -ForEach @(
        @{ Format = 'BedrockCompletion'; Member = 'generation' }
        @{ Format = 'OpenAICompletion'; Member = 'choices' }
        @{ Format = 'OpenAIChat'; Member = 'choices' }
    ) {
        foreach ($stream in $false, $true) {
            $result = Invoke-ImportedModel $model.ModelArn -Prompt $question -Format $Format -StopSequence '</answer>' -Stream:$stream 6>$null
            $result.Completion | Should -Be ' <answer>トランペット'
            $result.InputTokens | Should -BeGreaterThan 0
            if (-not $stream) { $result.Raw.Keys | Should -Contain $Member }
        }
    }

    It 'renders messages with the model''s chat template, and uses the OpenAI chat format without one' {
        $templated = Invoke-ImportedModel $instruct.ModelArn -Messages @{ role = 'user'; content = 'hello' } -SystemPrompt 'be brief' -MaxTokens 5
        $templated.Prompt | Should -Match '<\|start_header_id\|>system<\|end_header_id\|>'
        $templated.Prompt | Should -Match 'hello<\|eot_id\|>'
        $templated.Raw.Keys | Should -Contain 'generation'

        $plain = Invoke-ImportedModel $model.ModelArn -Messages @{ role = 'user'; content = 'hello' } -MaxTokens 5
        $plain.Raw.Keys | Should -Contain 'choices'
    }

    It 'sends a caller-built -Body unchanged and still enforces its stop' {
        Set-TestKnobs $endpoint -Bedrock @{ ignoreStop = $true }
        $body = @{ prompt = $question; max_gen_len = 64; stop = @('</answer>') }
        $result = Invoke-ImportedModel $model.ModelArn -Body $body
        $result.Completion | Should -Be ' <answer>トランペット'
        (Invoke-ImportedModel $model.ModelArn -Body '{"prompt":"hi","max_tokens":3}').Raw.Keys | Should -Contain 'choices'
    }

    It 'sends a -Body that is a PSCustomObject (ConvertFrom-Json, [pscustomobject]) with all its members' {
        $fromJson = '{"prompt":"hello there","max_gen_len":5}' | ConvertFrom-Json
        $asObject = Invoke-ImportedModel $model.ModelArn -Body $fromJson
        $asTable = Invoke-ImportedModel $model.ModelArn -Body @{ prompt = 'hello there'; max_gen_len = 5 }
        $asObject.Prompt | Should -Be 'hello there'
        $asObject.OutputTokens | Should -Be 5
        $asObject.Completion | Should -Be $asTable.Completion
        (Invoke-ImportedModel $model.ModelArn -Body ([pscustomobject]@{ prompt = 'hello there'; max_gen_len = 5 })).Completion | Should -Be $asTable.Completion
    }

    It 'writes a validation error for one item and answers the others' {
        $errors = $null
        $results = 'first', '', 'third' | Invoke-ImportedModel -ModelId $model.ModelArn -MaxTokens 3 -ThrottleLimit 2 -ErrorVariable errors -ErrorAction SilentlyContinue
        $results.Prompt | Should -Be @('first', 'third')
        $errors | Should -HaveCount 1
        $errors[0].TargetObject | Should -Be ''
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errors[0].Exception.Message | Should -Not -Match '   at '
    }

    It 'refuses a prompt over the 25 MB body limit without sending it' {
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $errors = $null
        Invoke-ImportedModel $model.ModelArn -Prompt ('x' * 26MB) -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errors[0].Exception.Message | Should -Match '25,000,000'
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be 0
    }

    It 'absorbs a cold start and says so in Verbose' {
        Set-TestKnobs $endpoint -Bedrock @{ modelNotReadyAfterImportMs = 2500 }
        $cold = Import-Sample 'cold'
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $verbose = $cold | Invoke-ImportedModel -Prompt 'wake up' -MaxTokens 3 -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'ModelNotReady'
        ($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Completion | Should -Not -BeNullOrEmpty
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -BeGreaterThan 1
    }

    It 'gives up on a cold start after -MaxColdStartWait with a clear error' {
        Set-TestKnobs $endpoint -Bedrock @{ modelNotReadyAfterImportMs = 600000 }
        $frozen = Import-Sample 'frozen'
        { $frozen | Invoke-ImportedModel -Prompt 'hello' -MaxColdStartWait 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ModelNotReadyException,BedrockImport.Cmdlets.InvokeImportedModelCommand'
    }

    It 'absorbs a throttling storm with backoff' {
        Set-TestKnobs $endpoint -Knobs @{ throttleRate = @{ 'bedrock:InvokeModel' = 0.3 }; seed = 11 }
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        $results = 1..12 | ForEach-Object { "storm $_" } | Invoke-ImportedModel -ModelId $model.ModelArn -MaxTokens 2 -ThrottleLimit 4 -MaximumRetryCount 10
        $results | Should -HaveCount 12
        $results.Prompt | Should -Be (1..12 | ForEach-Object { "storm $_" })
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -BeGreaterThan 12
    }

    It 'stops a stream at once on Ctrl+C' {
        Set-TestKnobs $endpoint -Bedrock @{ perTokenLatencyMs = 200 }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:BEDROCKIMPORT_MODULE).AddStatement()
            $null = $ps.AddCommand('Invoke-ImportedModel').AddParameters(@{
                    ModelId = $model.ModelArn; Prompt = 'a long answer please'; MaxTokens = 300; Stream = $true
                    EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region; AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey })
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ($ps.Streams.Information.Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $ps.Streams.Information.Count | Should -BeGreaterThan 1
            # 300 tokens at 200 ms would take a minute; a stop must end it long before.
            $ps.Stop()
            $async.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Streams.Information.Count | Should -BeLessThan 100
        }
        finally {
            $ps.Dispose()
        }
    }
}
