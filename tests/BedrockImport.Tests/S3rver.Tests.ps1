# The same Copy against s3rver (npm), a second S3 implementation that nobody here wrote. s3rver 3.7 has no
# ListMultipartUploads or AbortMultipartUpload and does not decode aws-chunked bodies, so it also proves the uploader
# sends plain bodies and carries on without those operations.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    $script:s3rverScript = Join-Path $PSScriptRoot '../conformance/node_modules/s3rver/bin/s3rver.js'
    if (-not (Test-Path $s3rverScript)) { throw "s3rver is not installed: run 'npm ci' in tests/conformance (build.ps1 Test does)." }
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start(); $script:port = $listener.LocalEndpoint.Port; $listener.Stop()
    $script:storage = Join-Path $TestDrive 's3rver'
    New-Item -ItemType Directory $storage | Out-Null
    $start = [System.Diagnostics.ProcessStartInfo]::new('node')
    foreach ($a in @($s3rverScript, '-d', $storage, '-a', '127.0.0.1', '-p', "$port", '--silent')) { $start.ArgumentList.Add($a) }
    $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true
    $script:s3rver = [System.Diagnostics.Process]::Start($start)
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ([DateTime]::UtcNow -lt $deadline) {
        try { $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port); $client.Dispose(); break } catch { Start-Sleep -Milliseconds 200 }
    }
    $script:s3 = @{ EndpointUrl = "http://127.0.0.1:$port"; Region = 'us-east-1'; AccessKey = 'S3RVER'; SecretKey = 'S3RVER' }
}

AfterAll {
    if ($s3rver -and -not $s3rver.HasExited) { $s3rver.Kill(); $s3rver.WaitForExit(5000) | Out-Null }
}

Describe 'Copy-BedrockModelSource against s3rver' -Tag 'CI' {
    It 'uploads a multipart model byte for byte' {
        $folder = Join-Path $TestDrive 'model'
        New-BedrockSampleModel -Path $folder -ShardCount 2 -SizeBytes 24MB | Out-Null
        $result = Copy-BedrockModelSource $folder 's3://s3rver-models/youko/' -CreateBucket -PartSizeBytes 5MB @s3 -WarningAction SilentlyContinue
        $result.Files | Should -Be (Get-ChildItem $folder -File).Count
        $result.Uploaded | Should -Be $result.Bytes

        foreach ($file in Get-ChildItem $folder -File) {
            $stored = Get-ChildItem (Join-Path $storage 's3rver-models/youko') -Filter "$($file.Name)._S3rver_object"
            $stored | Should -Not -BeNullOrEmpty -Because "$($file.Name) should be stored"
            (Get-FileHash $stored.FullName).Hash | Should -Be (Get-FileHash $file.FullName).Hash -Because "$($file.Name) should be stored as sent, without chunk framing"
        }
    }

    It 'validates the uploaded folder in place with ranged reads' {
        $report = Test-BedrockModelSource -S3Uri 's3://s3rver-models/youko/' @s3
        $report.Passed | Should -BeTrue
        $report.Architecture | Should -Be 'LlamaForCausalLM'
    }
}
