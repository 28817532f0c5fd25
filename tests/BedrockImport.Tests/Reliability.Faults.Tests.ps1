# R1 (a faulty, cold service answers every prompt once, in order) and R3 (Ctrl+C stops every long-running cmdlet cleanly).
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    # Not under $TestDrive: Pester empties what a Describe added there when the Describe ends, and the endpoint's buckets outlive it.
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint
    $script:role = 'arn:aws:iam::123456789012:role/BedrockImportTest'
    $script:connection = @{ EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region; AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey }

    function Import-Sample([string] $Name) { Import-TestSample $Name -Bucket faults -Folder $work -RoleArn $role }

    # Runs one command in a runspace of this process, as a console would, so that Stop() is a Ctrl+C.
    function Start-Stoppable([string] $Command, [hashtable] $Parameters, [object[]] $InputObjects) {
        $ps = [powershell]::Create()
        $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:BEDROCKIMPORT_MODULE).Invoke()
        $ps.Commands.Clear()
        $null = $ps.AddCommand($Command).AddParameters($Parameters)
        if ($InputObjects) {
            $input_ = [System.Management.Automation.PSDataCollection[object]]::new()
            foreach ($item in $InputObjects) { $input_.Add($item) }
            $input_.Complete()
            $async = $ps.BeginInvoke($input_)
        }
        else { $async = $ps.BeginInvoke() }
        [pscustomobject]@{ PowerShell = $ps; Async = $async }
    }

    # Stops it like Ctrl+C and checks that it ended (within ~10 s, a generous bound: speed is the bench's business).
    function Stop-Stoppable($Run) {
        $Run.PowerShell.Stop()
        $Run.Async.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue -Because 'a stopped pipeline must return'
        $Run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
    }
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'R1: a throttling, failing, connection-dropping service with a cold start' -Tag 'Reliability' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'answers every prompt exactly once and in input order' {
        $promptCount = if (Test-FullSize) { 1000 } else { 150 }
        $coldStartMs = if (Test-FullSize) { 10000 } else { 3000 }
        Set-TestKnobs $endpoint -Bedrock @{ modelNotReadyAfterImportMs = $coldStartMs } -Knobs @{
            seed               = 20260101
            throttleRate       = @{ 'bedrock:InvokeModel' = 0.2 }
            internalErrorRate  = @{ 'bedrock:InvokeModel' = 0.05 }
            dropConnectionRate = @{ 'bedrock:InvokeModel' = 0.05 }
        }
        $model = Import-Sample 'stormy'
        $prompts = 1..$promptCount | ForEach-Object { "faulty prompt $_" }
        Reset-TestStats $endpoint

        $errors = $null
        $output = $prompts | Invoke-ImportedModel -ModelId $model.ModelArn -MaxTokens 3 -ThrottleLimit 8 -MaximumRetryCount 30 -ErrorVariable errors -Verbose 4>&1
        $results = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $verbose = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"

        $stats = Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats"
        $invoke = $stats.operations.'bedrock:InvokeModel'
        Write-Host ("R1: {0} prompts, cold start {1} ms: {2} InvokeModel calls ({3} throttled, {4} internal errors, {5} dropped connections)" -f
            $promptCount, $coldStartMs, $invoke.calls, $invoke.throttled, $invoke.internalErrors, $invoke.droppedConnections)
        $errors | Should -BeNullOrEmpty
        $results | Should -HaveCount $promptCount
        $results.Prompt | Should -Be $prompts
        $results | Where-Object { [string]::IsNullOrEmpty($_.Completion) } | Should -BeNullOrEmpty
        [int] $invoke.calls | Should -BeGreaterOrEqual $promptCount
        # The faults really happened, so the run proves the retries and not a calm service.
        $verbose | Should -Match 'ModelNotReady' -Because 'the model was cold when the batch began'
        [int] $invoke.throttled | Should -BeGreaterThan 0
        [int] $invoke.internalErrors | Should -BeGreaterThan 0
        [int] $invoke.droppedConnections | Should -BeGreaterThan 0
    }
}

Describe 'R3: Ctrl+C stops each long-running cmdlet and leaves nothing behind' -Tag 'Reliability' {
    BeforeAll {
        $script:model = Import-Sample 'stoppable'
    }
    AfterEach { Set-TestKnobs $endpoint }

    It 'stops Copy-BedrockModelSource mid-upload and aborts its multipart uploads' {
        $folder = Join-Path $work 'copy-stop'
        New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes 24MB | Out-Null
        Set-TestKnobs $endpoint -Knobs @{ latencyMs = @{ 's3:UploadPart' = 400 } }
        Reset-TestStats $endpoint
        $run = Start-Stoppable 'Copy-BedrockModelSource' (@{ Path = $folder; Destination = 's3://faults/copy-stop/'; PartSizeBytes = 5MB; Concurrency = 2 } + $connection)
        try {
            Wait-TestCondition { (Get-TestCallCount $endpoint 's3:UploadPart') -ge 2 } | Should -BeTrue
            Stop-Stoppable $run
        }
        finally { $run.PowerShell.Dispose() }

        Get-TestMultipartUploads $endpoint | Should -HaveCount 0
        $parts = Get-TestCallCount $endpoint 's3:UploadPart'
        Start-Sleep -Milliseconds 1000
        Get-TestCallCount $endpoint 's3:UploadPart' | Should -Be $parts -Because 'no part may be sent after the stop returned'
        Get-TestMultipartUploads $endpoint | Should -HaveCount 0
    }

    It 'stops Wait-BedrockImportJob and polls no more' {
        Set-TestKnobs $endpoint -Bedrock @{ importDurationMs = 600000 }
        $job = Start-BedrockModelImport -ModelName long-import -S3Uri 's3://faults/stoppable/' -RoleArn $role
        Reset-TestStats $endpoint
        $run = Start-Stoppable 'Wait-BedrockImportJob' (@{ JobIdentifier = $job.JobArn } + $connection)
        try {
            Wait-TestCondition { (Get-TestCallCount $endpoint 'bedrock:GetModelImportJob') -ge 1 } | Should -BeTrue
            Stop-Stoppable $run
        }
        finally { $run.PowerShell.Dispose() }

        $polls = Get-TestCallCount $endpoint 'bedrock:GetModelImportJob'
        Start-Sleep -Milliseconds 2500
        Get-TestCallCount $endpoint 'bedrock:GetModelImportJob' | Should -Be $polls -Because 'a stopped wait must stop polling'
    }

    It 'stops Invoke-ImportedModel -Stream and sends nothing more' {
        Set-TestKnobs $endpoint -Bedrock @{ perTokenLatencyMs = 200 }
        Reset-TestStats $endpoint
        $run = Start-Stoppable 'Invoke-ImportedModel' (@{ ModelId = $model.ModelArn; Prompt = 'a long answer please'; MaxTokens = 300; Stream = $true } + $connection)
        try {
            Wait-TestCondition { $run.PowerShell.Streams.Information.Count -ge 2 } | Should -BeTrue
            Stop-Stoppable $run
            $run.PowerShell.Streams.Information.Count | Should -BeLessThan 100
        }
        finally { $run.PowerShell.Dispose() }

        $before = Get-TestCallCounts $endpoint
        Start-Sleep -Milliseconds 1500
        $after = Get-TestCallCounts $endpoint
        $after['bedrock:InvokeModelWithResponseStream'] | Should -Be $before['bedrock:InvokeModelWithResponseStream']
        $after['bedrock:InvokeModelWithResponseStream'] | Should -Be 1 -Because 'the stream was neither retried nor reopened'
        $after['bedrock:InvokeModel'] | Should -Be $before['bedrock:InvokeModel']
    }

    It 'stops a piped batch (-ThrottleLimit 4) and sends no further prompt' {
        Set-TestKnobs $endpoint -Knobs @{ latencyMs = @{ 'bedrock:InvokeModel' = 300 } }
        Reset-TestStats $endpoint
        $prompts = 1..200 | ForEach-Object { "batch prompt $_" }
        $run = Start-Stoppable 'Invoke-ImportedModel' (@{ ModelId = $model.ModelArn; MaxTokens = 2; ThrottleLimit = 4 } + $connection) -InputObjects $prompts
        try {
            Wait-TestCondition { (Get-TestCallCount $endpoint 'bedrock:InvokeModel') -ge 8 } | Should -BeTrue
            Stop-Stoppable $run
        }
        finally { $run.PowerShell.Dispose() }

        $sent = Get-TestCallCount $endpoint 'bedrock:InvokeModel'
        Start-Sleep -Milliseconds 1500
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be $sent -Because 'no prompt may be sent after the stop returned'
        $sent | Should -BeLessThan 200
    }

    It 'stops Invoke-ImportedModelEvaluation, keeps every answered row, and a rerun finishes the rest' {
        Set-TestKnobs $endpoint -Knobs @{ latencyMs = @{ 'bedrock:InvokeModel' = 200 } }
        Reset-TestStats $endpoint
        $dataset = Join-Path $PSScriptRoot '../../samples/jcommonsenseqa-mini.jsonl'
        $results = Join-Path $work 'stopped-evaluation.jsonl'
        $run = Start-Stoppable 'Invoke-ImportedModelEvaluation' (@{ ModelId = $model.ModelArn; Path = $dataset; ResultPath = $results; ThrottleLimit = 2 } + $connection)
        try {
            Wait-TestCondition { (Test-Path $results) -and @(Get-Content $results).Count -ge 4 } | Should -BeTrue
            Stop-Stoppable $run
        }
        finally { $run.PowerShell.Dispose() }

        $sent = Get-TestCallCount $endpoint 'bedrock:InvokeModel'
        $kept = @(Get-Content $results -Encoding utf8 | ConvertFrom-Json)
        $kept.Count | Should -BeLessThan 20
        $kept.Count | Should -BeGreaterOrEqual ($sent - 2) -Because 'every answer that came back before the stop is in the file (at most the 2 in flight are lost)'
        Set-TestKnobs $endpoint
        Reset-TestStats $endpoint
        (Invoke-ImportedModelEvaluation $model.ModelArn -Path $dataset -ResultPath $results @connection).Items | Should -Be 20
        Get-TestCallCount $endpoint 'bedrock:InvokeModel' | Should -Be (20 - $kept.Count)
        @(Get-Content $results -Encoding utf8 | ConvertFrom-Json | Group-Object itemId | Where-Object Count -ne 1).Count | Should -Be 0
    }
}
