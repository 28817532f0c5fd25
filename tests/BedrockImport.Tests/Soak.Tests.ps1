# The soak of issue 14 at CI size (build.ps1 Test -Full: longer): 64 concurrent clients of the module's Engine mix
# invokes, streams, Converse, list calls and multipart uploads against one local endpoint (bench/Soak), and the run
# must lose no request, answer none twice or with another request's answer, account for every multipart upload and keep
# the endpoint's memory flat after warm-up. A second, short run with dropped connections proves the checks can fail.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    . (Join-Path $PSScriptRoot '../../bench/Soak/Soak.ps1')
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint -Bedrock @{ importDurationMs = 100 }
    $script:modelArn = Import-SoakModel -Endpoint $endpoint -Folder $work
    $script:driver = Build-SoakDriver
    $script:seconds = if (Test-FullSize) { 120 } else { 25 }
    $script:warmup = if (Test-FullSize) { 30 } else { 8 }

    function Get-Invariant($Result, [string] $Name) { $Result.invariants | Where-Object name -eq $Name }
}

AfterAll {
    Stop-BedrockLocalEndpoint -ProcessId $endpoint.ProcessId
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    $global:PSDefaultParameterValues = @{}
}

Describe 'The soak: 64 concurrent clients against one local endpoint' -Tag 'Soak' {
    BeforeAll {
        $script:run = Invoke-SoakDriver -Endpoint $endpoint -ModelArn $modelArn -Driver $driver -ResultPath (Join-Path $work 'soak.json') `
            -Clients 64 -Seconds $seconds -WarmupSeconds $warmup
        $script:result = $run.Result
        Write-Host ("Soak: {0} requests in {1} s ({2}/s), {3} uploads, RSS {4} -> {5} MiB (slope {6} MiB/min), live heap {7} -> {8} MiB" -f
            $result.totals.sent, $result.runSeconds, $result.totals.requestsPerSecond, $result.uploads.started, $result.memory.warmupRssMiB,
            $result.memory.endRssMiB, $result.memory.slopeMiBPerMinute, $result.memory.liveHeapAfterWarmupMiB, $result.memory.liveHeapAtEndMiB)
    }

    It 'ends with exit code 0 and every invariant met' {
        $failed = @($result.invariants | Where-Object { -not $_.passed } | ForEach-Object { "$($_.name): $($_.detail)" })
        $failed | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0 -Because $run.Errors
    }

    It 'mixed every kind of request, with many clients at once' {
        $result.settings.clients | Should -Be 64
        foreach ($operation in 'bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream',
            'bedrock:ListImportedModels', 'bedrock:ListModelImportJobs', 's3:ListObjectsV2', 's3:CreateMultipartUpload', 's3:UploadPart',
            's3:CompleteMultipartUpload', 's3:AbortMultipartUpload') {
            $result.requests.$operation.ok | Should -BeGreaterThan 0 -Because "$operation must be part of the mix"
        }
        # Some streams were broken off mid-stream by their client, and some part uploads cancelled mid-body.
        $result.requests.'bedrock:InvokeModelWithResponseStream'.cancelled + $result.requests.'bedrock:ConverseStream'.cancelled | Should -BeGreaterThan 0
    }

    It 'lost no request and answered none twice' {
        $result.totals.lost | Should -Be 0
        $result.totals.duplicated | Should -Be 0
        $result.totals.answered | Should -Be $result.totals.sent
        (Get-Invariant $result 'endpointCountsMatch').passed | Should -BeTrue -Because (Get-Invariant $result 'endpointCountsMatch').detail
    }

    It "gave every request its own answer" {
        $result.totals.mismatched | Should -Be 0
    }

    It 'answered errors only where the fault knobs asked for them (no other 5xx)' {
        $result.totals.injectedFaults | Should -BeGreaterThan 0 -Because 'the soak injects throttles and internal errors into some list calls'
        $result.totals.httpErrors | Should -Be $result.totals.injectedFaults
        (Get-Invariant $result 'onlyInjectedErrors').passed | Should -BeTrue -Because (Get-Invariant $result 'onlyInjectedErrors').detail
    }

    It 'accounted for every multipart upload: completed and verified, or aborted' {
        $uploads = $result.uploads
        $uploads.started | Should -BeGreaterThan 0
        $uploads.aborted | Should -BeGreaterThan 0
        $uploads.started | Should -Be ($uploads.completed + $uploads.aborted)
        $uploads.verified | Should -Be $uploads.completed
        $uploads.listedAtEnd | Should -Be 0
        $uploads.foldersOnDiskAtEnd | Should -Be 0 -Because 'an abort racing a cancelled part must not leave the upload folder behind'
        $uploads.partsCancelled | Should -BeGreaterThan 0
        @(Get-TestMultipartUploads $endpoint | Where-Object bucket -eq 'soak') | Should -BeNullOrEmpty
        @(Get-TestObjects $endpoint -Bucket soak -Prefix 'soak-uploads/') | Should -BeNullOrEmpty
    }

    It 'kept the memory flat after warm-up' {
        (Get-Invariant $result 'heapFlat').passed | Should -BeTrue -Because (Get-Invariant $result 'heapFlat').detail
        (Get-Invariant $result 'rssFlat').passed | Should -BeTrue -Because (Get-Invariant $result 'rssFlat').detail
        $result.memory.samples | Should -BeGreaterThan ($seconds / 2)
    }
}

Describe 'The soak fails when requests go unanswered' -Tag 'Soak' {
    It 'reports the lost requests and exits with 1 when the endpoint drops connections' {
        $knobs = Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/knobs"
        $knobs.dropConnectionRate = @{ 'bedrock:InvokeModel' = 0.5 }
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/knobs" -Method Put -ContentType 'application/json' -Body ($knobs | ConvertTo-Json -Depth 10) | Out-Null
        try {
            $short = Invoke-SoakDriver -Endpoint $endpoint -ModelArn $modelArn -Driver $driver -ResultPath (Join-Path $work 'dropped.json') `
                -Clients 4 -Seconds 4 -WarmupSeconds 1.5
        }
        finally {
            Set-TestKnobs $endpoint
        }

        $short.ExitCode | Should -Be 1
        $short.Result.requests.'bedrock:InvokeModel'.noAnswer | Should -BeGreaterThan 0
        $short.Result.totals.lost | Should -Be $short.Result.requests.'bedrock:InvokeModel'.noAnswer
        (Get-Invariant $short.Result 'noLost').passed | Should -BeFalse
        # The dropped requests are lost, not answered with something else.
        (Get-Invariant $short.Result 'answersMatchRequests').passed | Should -BeTrue
        (Get-Invariant $short.Result 'uploadsAccounted').passed | Should -BeTrue
    }
}
