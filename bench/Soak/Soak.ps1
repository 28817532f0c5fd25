# The soak's PowerShell side, dot-sourced by tests/BedrockImport.Tests/Soak.Tests.ps1 and bench case B10: imports the
# soak's model into a running local endpoint (with the module's own cmdlets), builds bench/Soak and runs it.

# The answer book of the soak's model: 'key -> reply', as bench/Soak/SoakClient.cs's AnswerBook writes them. Each prompt
# names one key, so each answer tells which request it is for.
function Get-SoakAnswerBook {
    param([int] $Keys = 1024)
    $book = @{}
    for ($i = 0; $i -lt $Keys; $i++) { $book['[soak-k{0:D4}]' -f $i] = 'reply k{0:D4} from the soak book' -f $i }
    $book
}

# Writes a one-shard sample model with a chat template (for Converse) and the soak's answer book, copies it to
# s3://Bucket/soak-model/ and imports it. Answers the model ARN.
function Import-SoakModel {
    param([Parameter(Mandatory)] $Endpoint, [Parameter(Mandatory)] [string] $Folder, [string] $Bucket = 'soak', [int] $BookKeys = 1024)
    $aws = @{ EndpointUrl = $Endpoint.EndpointUrl; Region = $Endpoint.Region; AccessKey = $Endpoint.AccessKey; SecretKey = $Endpoint.SecretKey }
    $path = Join-Path $Folder 'soak-model'
    New-BedrockSampleModel -Path $path -ShardCount 1 -ChatTemplate -Response (Get-SoakAnswerBook -Keys $BookKeys) | Out-Null
    $model = Copy-BedrockModelSource @aws -Path $path -Destination "s3://$Bucket/soak-model/" -CreateBucket |
        Start-BedrockModelImport @aws -ModelName 'soak' -RoleArn 'arn:aws:iam::123456789012:role/Soak' |
        Wait-BedrockImportJob @aws -PollingIntervalSec 1 -Timeout 120
    if (-not $model.ModelArn) { throw 'The soak model import produced no model ARN.' }
    $model.ModelArn
}

# Builds bench/Soak (Release) and answers the path of its dll.
function Build-SoakDriver {
    $project = Join-Path $PSScriptRoot 'Soak.csproj'
    $output = & dotnet build $project -c Release --nologo -v quiet 2>&1
    if ($LASTEXITCODE -ne 0) { throw "dotnet build bench/Soak failed:`n$(($output | Select-Object -Last 20) -join "`n")" }
    Join-Path $PSScriptRoot 'bin/Release/net10.0/Soak.dll'
}

# Runs the soak against the endpoint and answers @{ ExitCode; Result (the figures); Errors (its stderr) }.
function Invoke-SoakDriver {
    param(
        [Parameter(Mandatory)] $Endpoint,
        [Parameter(Mandatory)] [string] $ModelArn,
        [Parameter(Mandatory)] [string] $ResultPath,
        [string] $Bucket = 'soak',
        [int] $Clients = 64,
        [double] $Seconds = 25,
        [double] $WarmupSeconds = 8,
        # The bounds of "memory flat" (see bench/README.md, B10): the RSS slope after warm-up, and the live heap's
        # growth from the end of the warm-up to the end (a fixed slack plus bytes per request).
        [double] $MaxSlopeMiBPerMinute = 120,
        [double] $HeapSlackMiB = 8,
        [double] $MaxRetainedBytesPerRequest = 64,
        [string] $Driver = (Build-SoakDriver)
    )
    $invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $arguments = @($Driver,
        '--endpoint-url', $Endpoint.EndpointUrl, '--region', $Endpoint.Region, '--access-key', $Endpoint.AccessKey,
        '--secret-key', $Endpoint.SecretKey, '--endpoint-pid', [string] $Endpoint.ProcessId, '--model-arn', $ModelArn,
        '--bucket', $Bucket, '--model-prefix', 'soak-model/', '--clients', [string] $Clients,
        '--seconds', $Seconds.ToString($invariant), '--warmup-seconds', $WarmupSeconds.ToString($invariant),
        '--max-slope-mib-per-min', $MaxSlopeMiBPerMinute.ToString($invariant), '--heap-slack-mib', $HeapSlackMiB.ToString($invariant),
        '--max-retained-bytes-per-request', $MaxRetainedBytesPerRequest.ToString($invariant), '--result', $ResultPath)
    $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in $arguments) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        # The run, the drain the driver allows its clients (90 s) and a margin.
        if (-not $process.WaitForExit([int] (($Seconds + 150) * 1000))) {
            $process.Kill($true)
            throw "The soak did not end within $($Seconds + 150) s."
        }
        $process.WaitForExit()
        $result = if (Test-Path $ResultPath) { Get-Content $ResultPath -Raw | ConvertFrom-Json } else { $null }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Result = $result; Errors = $stderr.Result; Output = $stdout.Result }
    }
    finally {
        $process.Dispose()
    }
}
