# Helpers shared by the Pester suites: one local endpoint per suite, its knobs and its admin introspection.

function Start-TestEndpoint {
    param([Parameter(Mandatory)] [string] $DataPath)
    $endpoint = Start-BedrockLocalEndpoint -DataPath $DataPath
    $global:PSDefaultParameterValues = @{}
    foreach ($command in (Get-Command -Module BedrockImport -CommandType Cmdlet | Where-Object { $_.Parameters.ContainsKey('EndpointUrl') })) {
        $global:PSDefaultParameterValues["$($command.Name):EndpointUrl"] = $endpoint.EndpointUrl
        $global:PSDefaultParameterValues["$($command.Name):Region"] = $endpoint.Region
        $global:PSDefaultParameterValues["$($command.Name):AccessKey"] = $endpoint.AccessKey
        $global:PSDefaultParameterValues["$($command.Name):SecretKey"] = $endpoint.SecretKey
    }
    $endpoint
}

# Replaces the knobs: $Knobs is merged over the defaults, the 'bedrock' section key by key.
function Set-TestKnobs {
    param([Parameter(Mandatory)] $Endpoint, [hashtable] $Knobs = @{}, [hashtable] $Bedrock = @{})
    $body = @{ bedrock = @{ importDurationMs = 200 } }
    foreach ($key in $Knobs.Keys) { $body[$key] = $Knobs[$key] }
    foreach ($key in $Bedrock.Keys) { $body.bedrock[$key] = $Bedrock[$key] }
    Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/knobs" -Method Put -ContentType 'application/json' -Body ($body | ConvertTo-Json -Depth 10) | Out-Null
}

function Get-TestMultipartUploads {
    param([Parameter(Mandatory)] $Endpoint)
    @((Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/s3/multipart-uploads").uploads)
}

function Get-TestObjects {
    param([Parameter(Mandatory)] $Endpoint, [Parameter(Mandatory)] [string] $Bucket, [string] $Prefix = '')
    @((Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/s3/objects?bucket=$Bucket&prefix=$([uri]::EscapeDataString($Prefix))").objects)
}

function Get-TestCallCount {
    # $Operation is 'service:Operation', e.g. 's3:UploadPart' or 'bedrock:InvokeModel'.
    param([Parameter(Mandatory)] $Endpoint, [Parameter(Mandatory)] [string] $Operation)
    $stats = (Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/stats").operations
    $entry = $stats.PSObject.Properties | Where-Object Name -eq $Operation
    if ($entry) { [int] $entry.Value.calls } else { 0 }
}

function Get-FileSha256 {
    param([Parameter(Mandatory)] [string] $Folder)
    Get-ChildItem $Folder -File -Recurse | ForEach-Object {
        [pscustomobject]@{ Key = [IO.Path]::GetRelativePath($Folder, $_.FullName).Replace('\', '/'); Sha256 = (Get-FileHash $_.FullName -Algorithm SHA256).Hash.ToLowerInvariant() }
    }
}

# --- Helpers of the Reliability suites ---

# True when the fault suites run at the issue's full sizes (build.ps1 Test -Full).
function Test-FullSize { $env:BEDROCKIMPORT_FULL -eq '1' }

function Reset-TestStats {
    param([Parameter(Mandatory)] $Endpoint)
    Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/stats" -Method Delete | Out-Null
}

# The calls counted per 'service:Operation' (a hashtable), as /_admin/stats reports them.
function Get-TestCallCounts {
    param([Parameter(Mandatory)] $Endpoint)
    $counts = @{}
    foreach ($entry in (Invoke-RestMethod "$($Endpoint.EndpointUrl)/_admin/stats").operations.PSObject.Properties) { $counts[$entry.Name] = [int] $entry.Value.calls }
    $counts
}

# A new empty folder under the temp folder, for data that must outlive one Describe (Pester empties $TestDrive per block).
function New-TestWorkFolder {
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) "bedrockimport-reliability-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
    (New-Item -ItemType Directory -Path $folder).FullName
}

# A loopback TCP port nobody listens on (taken from the OS, then released).
function Get-TestClosedPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# A fake HTTP server on 127.0.0.1 that answers every request with the same status, content type and body
# (a proxy's error page, a broken service). Stop it with Stop-TestFakeHttpServer.
function Start-TestFakeHttpServer {
    param([Parameter(Mandatory)] [int] $StatusCode, [Parameter(Mandatory)] [string] $ContentType, [Parameter(Mandatory)] [string] $Body)
    $port = Get-TestClosedPort
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/")
    $listener.Start()
    $runner = [powershell]::Create()
    $null = $runner.AddScript({
            param($Listener, $StatusCode, $ContentType, $Body)
            $bytes = [System.Text.Encoding]::UTF8.GetBytes($Body)
            while ($Listener.IsListening) {
                try { $context = $Listener.GetContext() } catch { break }
                try {
                    $context.Response.StatusCode = $StatusCode
                    $context.Response.ContentType = $ContentType
                    $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                    $context.Response.Close()
                }
                catch { }
            }
        }).AddArgument($listener).AddArgument($StatusCode).AddArgument($ContentType).AddArgument($Body)
    $null = $runner.BeginInvoke()
    [pscustomobject]@{ Url = "http://127.0.0.1:$port"; Listener = $listener; Runner = $runner }
}

function Stop-TestFakeHttpServer {
    param([Parameter(Mandatory)] $Server)
    $Server.Listener.Stop()
    $Server.Listener.Close()
    $Server.Runner.Stop()
    $Server.Runner.Dispose()
}

# Rewrites the JSON header of a safetensors file through $Edit (string -> string) and keeps its data bytes.
function Edit-TestSafetensorsHeader {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [scriptblock] $Edit)
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    $headerLength = [int] [System.BitConverter]::ToUInt64($bytes, 0)
    $text = & $Edit ([System.Text.Encoding]::UTF8.GetString($bytes, 8, $headerLength).TrimEnd())
    $header = [System.Text.Encoding]::UTF8.GetBytes($text.PadRight([int] [Math]::Ceiling($text.Length / 8) * 8))
    $stream = [System.IO.File]::Create($Path)
    try {
        $stream.Write([System.BitConverter]::GetBytes([uint64] $header.Length), 0, 8)
        $stream.Write($header, 0, $header.Length)
        $stream.Write($bytes, 8 + $headerLength, $bytes.Length - 8 - $headerLength)
    }
    finally { $stream.Dispose() }
}

# Polls $Condition every 50 ms until it is true or $TimeoutSeconds passed; returns whether it became true.
function Wait-TestCondition {
    param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSeconds = 30)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -ge $deadline) { return $false }
        Start-Sleep -Milliseconds 50
    }
    $true
}

# Writes a sample model into Folder/Name, copies it to s3://Bucket/Name/, imports it as Name and returns the imported
# model. -Edit gets the folder before the copy (to change config.json, say).
function Import-TestSample {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $Bucket,
        [Parameter(Mandatory)] [string] $Folder,
        [Parameter(Mandatory)] [string] $RoleArn,
        [hashtable] $Response,
        [switch] $ChatTemplate,
        [scriptblock] $Edit
    )
    # A module function sees the module's scopes, not the suite's defaults: bring the endpoint connection along.
    $PSDefaultParameterValues = $global:PSDefaultParameterValues
    $path = Join-Path $Folder $Name
    $sample = @{ Path = $path; ShardCount = 1; ChatTemplate = $ChatTemplate }
    if ($Response) { $sample.Response = $Response }
    New-BedrockSampleModel @sample | Out-Null
    if ($Edit) { & $Edit $path }
    Copy-BedrockModelSource $path "s3://$Bucket/$Name/" -CreateBucket | Start-BedrockModelImport -ModelName $Name -RoleArn $RoleArn | Wait-BedrockImportJob
}

# Runs Enter-ImportedModelChat in a fresh pwsh with Lines typed on its standard input; returns its output and errors.
function Invoke-TestChat {
    param([Parameter(Mandatory)] $Endpoint, [Parameter(Mandatory)] [string] $ModelId, [string[]] $Lines, [string] $Extra = '')
    $command = "`$PSStyle.OutputRendering = 'PlainText'; Import-Module '$env:BEDROCKIMPORT_MODULE'; " +
        "Enter-ImportedModelChat '$ModelId' -EndpointUrl '$($Endpoint.EndpointUrl)' -Region $($Endpoint.Region) -AccessKey $($Endpoint.AccessKey) -SecretKey '$($Endpoint.SecretKey)' $Extra"
    $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $command)) { $start.ArgumentList.Add($a) }
    $start.RedirectStandardInput = $true; $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    foreach ($line in $Lines) { $process.StandardInput.WriteLine($line) }
    $process.StandardInput.Close()
    $output = $process.StandardOutput.ReadToEndAsync()
    $errors = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit(60000)) { $process.Kill(); throw 'The chat did not end within 60 s.' }
    [pscustomobject]@{ Output = $output.Result; Errors = $errors.Result; ExitCode = $process.ExitCode }
}

Export-ModuleMember -Function *
