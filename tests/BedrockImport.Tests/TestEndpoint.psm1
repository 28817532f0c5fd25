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

Export-ModuleMember -Function *
