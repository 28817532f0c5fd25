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
    param([Parameter(Mandatory)] $Endpoint, [hashtable] $Knobs = @{}, [hashtable] $Bedrock = @{}, [hashtable] $ServiceQuotas)
    if ($ServiceQuotas) { $Knobs = $Knobs + @{ serviceQuotas = $ServiceQuotas } }
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

# Writes a one-shard sample model into Folder/Name and copies it to s3://Bucket/Name/; returns that S3 URI.
function Send-TestSample {
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Bucket, [Parameter(Mandatory)] [string] $Folder)
    $PSDefaultParameterValues = $global:PSDefaultParameterValues
    $path = Join-Path $Folder $Name
    New-BedrockSampleModel -Path $path -ShardCount 1 | Out-Null
    Copy-BedrockModelSource $path "s3://$Bucket/$Name/" -CreateBucket | Out-Null
    "s3://$Bucket/$Name/"
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

# --- Headless Chromium, for the HTML report tests ---

# The chromium executable, or an error that says why there is none (build.ps1 Test installs Debian's package and hands
# on the reason in BEDROCKIMPORT_CHROMIUM_PROBLEM when it cannot).
function Get-TestChromiumPath {
    $command = Get-Command chromium -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($command) { return $command.Source }
    $why = if ($env:BEDROCKIMPORT_CHROMIUM_PROBLEM) { $env:BEDROCKIMPORT_CHROMIUM_PROBLEM } else { "'chromium' is not on PATH (build.ps1 Test installs Debian's chromium package when it can)." }
    throw "Headless Chromium is needed to render HTML pages: $why"
}

# Runs headless Chromium on a local file with a throw-away profile and a timeout, and returns its standard output.
# Nothing leaves the machine: every host name fails to resolve and any proxied request goes to a closed loopback port.
function Invoke-TestChromium {
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Arguments = @(), [int] $TimeoutSeconds = 60)
    $chromium = Get-TestChromiumPath
    $file = (Resolve-Path -LiteralPath $Path).ProviderPath
    $userData = Join-Path ([System.IO.Path]::GetTempPath()) "bedrockimport-chromium-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $userData | Out-Null
    $start = [System.Diagnostics.ProcessStartInfo]::new($chromium)
    $all = @('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', "--user-data-dir=$userData",
        '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--disable-extensions', '--host-resolver-rules=MAP * ~NOTFOUND', "--proxy-server=127.0.0.1:$(Get-TestClosedPort)") +
        $Arguments + @([uri]::new($file).AbsoluteUri)
    foreach ($argument in $all) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $output = $process.StandardOutput.ReadToEndAsync()
        $errors = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            $null = $errors.Wait(5000)
            throw "Chromium did not finish within $TimeoutSeconds s on $file. Its error output: $(if ($errors.IsCompleted) { $errors.Result })"
        }
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { throw "Chromium exited with code $($process.ExitCode) on $file. Its error output: $($errors.Result)" }
        $output.Result
    }
    finally {
        $process.Dispose()
        Remove-Item -LiteralPath $userData -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# The DOM of a local HTML file after Chromium parsed it (--dump-dom), as text.
function Get-RenderedHtml {
    param([Parameter(Mandatory)] [string] $Path, [int] $TimeoutSeconds = 60)
    $dom = Invoke-TestChromium -Path $Path -Arguments '--dump-dom' -TimeoutSeconds $TimeoutSeconds
    if ($dom -notmatch '<html') { throw "Chromium printed no DOM for $Path (got '$dom')." }
    $dom
}

# Every element with a data-field attribute, from a rendered DOM (-Html) or a file rendered here (-Path), as objects:
# Model, Field, Value (data-model, data-field, data-value; $null when absent) and Text (the element's text), plus one
# property per other data-* attribute in PascalCase (data-model-b is ModelB, data-item is Item). Values and text are
# HTML-decoded. A data-field element holds no element of its own tag (the report's numbers are leaf spans).
function Get-RenderedDataField {
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    param([Parameter(Mandatory, ParameterSetName = 'Path')] [string] $Path, [Parameter(Mandatory, ParameterSetName = 'Html')] [string] $Html)
    if ($PSCmdlet.ParameterSetName -eq 'Path') { $Html = Get-RenderedHtml -Path $Path }
    $attribute = '\s+[^\s"''=<>/]+(?:="[^"]*")?'
    $pattern = "<(?<tag>[a-zA-Z][\w-]*)(?<attributes>(?:$attribute)*?\s+data-field=""[^""]*""(?:$attribute)*)\s*>(?<inner>.*?)</\k<tag>\s*>"
    foreach ($element in [regex]::Matches($Html, $pattern, 'Singleline')) {
        $data = [ordered]@{}
        foreach ($pair in [regex]::Matches($element.Groups['attributes'].Value, '\sdata-(?<name>[\w-]+)="(?<value>[^"]*)"')) {
            $data[$pair.Groups['name'].Value] = [System.Net.WebUtility]::HtmlDecode($pair.Groups['value'].Value)
        }
        $object = [ordered]@{
            Model = $data['model']
            Field = $data['field']
            Value = $data['value']
            Text  = [System.Net.WebUtility]::HtmlDecode([regex]::Replace($element.Groups['inner'].Value, '<[^>]*>', ''))
        }
        foreach ($name in $data.Keys) {
            if ($name -in 'model', 'field', 'value') { continue }
            $object[(($name -split '-' | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) }) -join '')] = $data[$name]
        }
        [pscustomobject] $object
    }
}

# A PNG screenshot of a local HTML file, $Width by $Height CSS pixels; returns the PNG's FileInfo.
function Save-RenderedScreenshot {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Destination, [int] $Width = 1200, [int] $Height = 1600)
    $png = [System.IO.Path]::GetFullPath($Destination)
    Remove-Item -LiteralPath $png -ErrorAction SilentlyContinue
    $null = Invoke-TestChromium -Path $Path -Arguments "--screenshot=$png", "--window-size=$Width,$Height", '--hide-scrollbars'
    if (-not (Test-Path -LiteralPath $png)) { throw "Chromium wrote no screenshot of $Path." }
    Get-Item -LiteralPath $png
}

# How many distinct colours an 8-bit RGB or RGBA PNG (as Chromium writes them) has, counting up to $Limit: a blank
# page has one.
function Get-PngColourCount {
    param([Parameter(Mandatory)] [string] $Path, [int] $Limit = 256)
    if (-not ('BedrockImportTests.PngColours' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace BedrockImportTests
{
    public static class PngColours
    {
        public static int Count(string path, int limit)
        {
            var bytes = File.ReadAllBytes(path);
            int width = 0, height = 0, depth = 0, colourType = 0, interlace = 0;
            var compressed = new MemoryStream();
            for (var at = 8; at + 8 <= bytes.Length;)
            {
                var length = BigEndian(bytes, at);
                var type = Encoding.ASCII.GetString(bytes, at + 4, 4);
                var data = at + 8;
                if (type == "IHDR")
                {
                    width = BigEndian(bytes, data);
                    height = BigEndian(bytes, data + 4);
                    depth = bytes[data + 8];
                    colourType = bytes[data + 9];
                    interlace = bytes[data + 12];
                }
                else if (type == "IDAT") compressed.Write(bytes, data, length);
                else if (type == "IEND") break;
                at = data + length + 4;
            }
            if (depth != 8 || (colourType != 2 && colourType != 6) || interlace != 0)
                throw new NotSupportedException("Only 8-bit RGB or RGBA PNGs without interlacing are read (depth " + depth + ", colour type " + colourType + ").");
            var channels = colourType == 6 ? 4 : 3;
            var stride = width * channels;
            var previous = new byte[stride];
            var current = new byte[stride];
            var seen = new HashSet<long>();
            compressed.Position = 0;
            using (var pixels = new ZLibStream(compressed, CompressionMode.Decompress))
            {
                for (var y = 0; y < height; y++)
                {
                    var filter = pixels.ReadByte();
                    pixels.ReadExactly(current);
                    for (var i = 0; i < stride; i++)
                    {
                        int left = i >= channels ? current[i - channels] : 0, up = previous[i], upLeft = i >= channels ? previous[i - channels] : 0;
                        var predictor = filter switch
                        {
                            0 => 0,
                            1 => left,
                            2 => up,
                            3 => (left + up) / 2,
                            4 => Paeth(left, up, upLeft),
                            _ => throw new InvalidDataException("Unknown PNG filter " + filter + "."),
                        };
                        current[i] = (byte)(current[i] + predictor);
                    }
                    for (var i = 0; i < stride; i += channels)
                    {
                        var colour = (long)current[i] | ((long)current[i + 1] << 8) | ((long)current[i + 2] << 16) | (channels == 4 ? (long)current[i + 3] << 24 : 0L);
                        if (seen.Add(colour) && seen.Count >= limit) return seen.Count;
                    }
                    (previous, current) = (current, previous);
                }
            }
            return seen.Count;
        }

        private static int BigEndian(byte[] bytes, int at) => (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }
}
'@
    }
    [BedrockImportTests.PngColours]::Count((Resolve-Path -LiteralPath $Path).ProviderPath, $Limit)
}

Export-ModuleMember -Function *
