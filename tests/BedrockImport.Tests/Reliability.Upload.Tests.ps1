# R2: an upload with failing parts, killed mid-way, then rerun, ends byte-identical with no multipart upload left.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:work = New-TestWorkFolder
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $work 'endpoint')
    Set-TestKnobs $endpoint
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'R2: failing parts, a killed process and a rerun' -Tag 'Reliability' {
    AfterEach { Set-TestKnobs $endpoint }

    It 'uploads every byte exactly once the rerun finishes, and leaves no multipart upload' {
        $sizeBytes = if (Test-FullSize) { 512MB } else { 48MB }
        $folder = Join-Path $work 'killed'
        New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes $sizeBytes | Out-Null
        $destination = 's3://killed/model/'
        Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
        Set-TestKnobs $endpoint -Knobs @{ seed = 99; internalErrorRate = @{ 's3:UploadPart' = 0.1 }; latencyMs = @{ 's3:UploadPart' = 150 } }

        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($env:BEDROCKIMPORT_MODULE)'
Copy-BedrockModelSource -Path '$folder' -Destination '$destination' -CreateBucket -PartSizeBytes 5MB -Concurrency 2 ``
    -EndpointUrl '$($endpoint.EndpointUrl)' -Region '$($endpoint.Region)' -AccessKey '$($endpoint.AccessKey)' -SecretKey '$($endpoint.SecretKey)'
"@
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
        $child = Start-Process -FilePath 'dotnet' -ArgumentList @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded) -PassThru -NoNewWindow `
            -RedirectStandardOutput (Join-Path $work 'child.out') -RedirectStandardError (Join-Path $work 'child.err')
        try {
            $started = Wait-TestCondition { (Get-TestCallCount $endpoint 's3:UploadPart') -ge 4 -or $child.HasExited } -TimeoutSeconds 60
            $started | Should -BeTrue
            $child.HasExited | Should -BeFalse -Because "the copy must still be running when it is killed: $(Get-Content (Join-Path $work 'child.err') -Raw -ErrorAction SilentlyContinue)"
            Stop-Process -Id $child.Id -Force
            $child.WaitForExit(10000) | Should -BeTrue
        }
        finally {
            if (-not $child.HasExited) { Stop-Process -Id $child.Id -Force -ErrorAction SilentlyContinue }
        }
        $partsBeforeKill = Get-TestCallCount $endpoint 's3:UploadPart'
        $leftOpen = @(Get-TestMultipartUploads $endpoint).Count
        $leftOpen | Should -BeGreaterThan 0 -Because 'the kill must interrupt a multipart upload, or the rerun proves nothing'

        Set-TestKnobs $endpoint -Knobs @{ seed = 100; internalErrorRate = @{ 's3:UploadPart' = 0.1 } }
        $rerun = Copy-BedrockModelSource -Path $folder -Destination $destination -PartSizeBytes 5MB -Concurrency 2

        $stats = (Invoke-RestMethod "$($endpoint.EndpointUrl)/_admin/stats").operations.'s3:UploadPart'
        Write-Host ("R2: {0:N0} bytes in {1} files; {2} UploadPart calls before the kill, {3} multipart uploads left open by it; {4} UploadPart calls in all, {5} failed on purpose; the rerun uploaded {6:N0} bytes" -f
            $rerun.Bytes, $rerun.Files, $partsBeforeKill, $leftOpen, $stats.calls, $stats.internalErrors, $rerun.Uploaded)
        $rerun.Bytes | Should -Be ((Get-ChildItem $folder -File -Recurse | Measure-Object Length -Sum).Sum)
        [int] $stats.internalErrors | Should -BeGreaterThan 0
        $remote = Get-TestObjects $endpoint -Bucket killed -Prefix 'model/' | Sort-Object key
        $local = Get-FileSha256 $folder | Sort-Object Key
        $remote.key | Should -Be ($local.Key | ForEach-Object { "model/$_" })
        $remote.sha256 | Should -Be $local.Sha256
        Get-TestMultipartUploads $endpoint | Should -HaveCount 0
    }
}
