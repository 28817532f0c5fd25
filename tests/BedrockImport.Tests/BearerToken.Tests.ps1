# Bedrock API keys (bearer tokens) from the built module against the local endpoint's issued key, in a session with no
# AWS keys at all: -BearerToken and AWS_BEARER_TOKEN_BEDROCK serve Bedrock and Bedrock Runtime, S3 fails clearly, and the
# token never appears in any of the six streams.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $global:PSDefaultParameterValues = @{}
    $script:endpoint = Start-BedrockLocalEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $script:token = [System.Net.NetworkCredential]::new('', $endpoint.BearerToken).Password
    $script:at = @{ EndpointUrl = $endpoint.EndpointUrl; Region = $endpoint.Region }
    $keys = @{ AccessKey = $endpoint.AccessKey; SecretKey = $endpoint.SecretKey }

    # The import itself needs S3, so it is done with the endpoint's SigV4 test keys before the keys go away.
    $script:folder = Join-Path $TestDrive 'bearer-model'
    New-BedrockSampleModel -Path $folder -ShardCount 1 -Response @{ 'bearer question' = ' bearer answer' } | Out-Null
    $script:model = Copy-BedrockModelSource $folder 's3://bearer/model/' -CreateBucket @at @keys |
        Start-BedrockModelImport -ModelName 'bearer-model' -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportTest' @at @keys |
        Wait-BedrockImportJob @at @keys

    # From here on: no AWS keys anywhere. Every AWS_* variable is removed (restored in AfterAll), the shared files are empty,
    # instance metadata is off, and no AWS.Tools stored credentials exist.
    $script:savedEnvironment = Get-ChildItem env: | Where-Object Name -like 'AWS_*'
    $savedEnvironment | ForEach-Object { Remove-Item "env:$($_.Name)" }
    $empty = New-Item -ItemType Directory (Join-Path $TestDrive 'empty-aws')
    $env:AWS_SHARED_CREDENTIALS_FILE = (New-Item -ItemType File (Join-Path $empty 'credentials')).FullName
    $env:AWS_CONFIG_FILE = (New-Item -ItemType File (Join-Path $empty 'config')).FullName
    $env:AWS_EC2_METADATA_DISABLED = 'true'
    Remove-Variable StoredAWSCredentials, StoredAWSRegion -Scope Global -ErrorAction SilentlyContinue
}

AfterAll {
    Get-ChildItem env: | Where-Object Name -like 'AWS_*' | ForEach-Object { Remove-Item "env:$($_.Name)" }
    $savedEnvironment | ForEach-Object { Set-Item "env:$($_.Name)" $_.Value }
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Bedrock API keys with no AWS keys in the session' -Tag 'CI' {
    AfterEach { Remove-Item env:AWS_BEARER_TOKEN_BEDROCK -ErrorAction SilentlyContinue }

    It 'Start-BedrockLocalEndpoint shows its issued key as a SecureString shaped like a Bedrock API key' {
        $endpoint.BearerToken | Should -BeOfType ([System.Security.SecureString])
        $token | Should -Match '^ABSK[A-Za-z0-9+/]+=*$'
        [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($token.Substring(4))) | Should -Match '^BedrockAPIKey-[a-z0-9]{4}-at-\d{12}:'
        ($endpoint | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($token))
    }

    It 'issues a fresh key on every start and does not echo it in Verbose' {
        $records = Start-BedrockLocalEndpoint -DataPath (Join-Path $TestDrive 'second') -Verbose *>&1
        $second = $records | Where-Object { $_.PSObject.Properties['BearerToken'] }
        try {
            $secondToken = [System.Net.NetworkCredential]::new('', $second.BearerToken).Password
            $secondToken | Should -Not -Be $token
            $verbose = $records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $verbose | Should -Not -BeNullOrEmpty
            ($verbose | Out-String) | Should -Not -Match ([regex]::Escape($secondToken))
        }
        finally { $second | Stop-BedrockLocalEndpoint }
    }

    It 'serves Get-ImportedModel and Invoke-ImportedModel via -BearerToken' {
        (Get-ImportedModel -BearerToken $endpoint.BearerToken @at).ModelArn | Should -Contain $model.ModelArn
        $answer = Invoke-ImportedModel $model.ModelArn -Prompt 'bearer question' -MaxTokens 8 -BearerToken $endpoint.BearerToken @at
        $answer.Completion | Should -Be ' bearer answer'
    }

    It 'starts an import with the key alone: the S3 preflight is skipped with a warning, not failed' {
        $warnings = $null
        $job = Start-BedrockModelImport -ModelName 'bearer-only' -S3Uri 's3://bearer/model/' -RoleArn 'arn:aws:iam::123456789012:role/BedrockImportTest' `
            -BearerToken $endpoint.BearerToken @at -WarningVariable warnings -WarningAction SilentlyContinue
        $job.ImportedModelName | Should -Be 'bearer-only'
        "$warnings" | Should -Match 'No AWS credentials for S3'
    }

    It 'serves Get-ImportedModel and Invoke-ImportedModel via AWS_BEARER_TOKEN_BEDROCK' {
        $env:AWS_BEARER_TOKEN_BEDROCK = $token
        (Get-ImportedModel @at).ModelArn | Should -Contain $model.ModelArn
        (Invoke-ImportedModel $model.ModelArn -Prompt 'bearer question' -MaxTokens 8 @at).Completion | Should -Be ' bearer answer'
    }

    It 'never writes the token to any of the six streams; Debug says a bearer token was used and from where (<Source>)' -ForEach @(
        @{ Source = '-BearerToken parameter' }
        @{ Source = 'environment variable AWS_BEARER_TOKEN_BEDROCK' }
    ) {
        $byParameter = if ($Source -eq '-BearerToken parameter') { @{ BearerToken = $endpoint.BearerToken } } else { $env:AWS_BEARER_TOKEN_BEDROCK = $token; @{} }
        $wrong = ConvertTo-SecureString 'ABSKd3Jvbmcta2V5LWZvci10aGlzLXRlc3Q=' -AsPlainText -Force
        $streams = & {
            Get-ImportedModel @byParameter @at -Verbose -Debug
            Invoke-ImportedModel $model.ModelArn -Prompt 'bearer question' -MaxTokens 8 @byParameter @at -Verbose -Debug
            Invoke-ImportedModel $model.ModelArn -Prompt 'bearer question' -MaxTokens 8 @byParameter @at -Stream -Verbose -Debug
            Write-Information 'information stream marker'
            Write-Warning 'warning stream marker'
            Get-ImportedModel -BearerToken $wrong @at -Verbose -Debug -ErrorAction Continue
        } *>&1
        $text = $streams | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_ | Format-List * -Force | Out-String; $_.Exception.ToString() } else { $_ | Out-String -Width 4096 } }
        $text = $text -join "`n"

        $text | Should -Not -Match ([regex]::Escape($token))
        $text | Should -Not -Match 'd3Jvbmcta2V5LWZvci10aGlzLXRlc3Q'
        $text | Should -Match ([regex]::Escape("Bearer token (Bedrock API key) obtained from $Source"))
        $text | Should -Match 'Bedrock Runtime requests are authorized with a bearer token'
        $text | Should -Match 'information stream marker'
        $text | Should -Match 'warning stream marker'
        $denied = $streams | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }
        $denied | Should -HaveCount 1
        $denied.FullyQualifiedErrorId | Should -BeLike 'AccessDeniedException,*'
        $denied.Exception.Message | Should -Match 'Authentication failed: Please make sure your API Key is valid'
        ($streams | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) | Should -Not -BeNullOrEmpty
        ($streams | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }) | Should -Not -BeNullOrEmpty
    }

    It 'Copy-BedrockModelSource to S3 with only a token fails with the no-credentials error, saying why' {
        $env:AWS_BEARER_TOKEN_BEDROCK = $token
        $failure = $null
        try { Copy-BedrockModelSource $folder 's3://bearer/again/' -BearerToken $endpoint.BearerToken @at -ErrorAction Stop }
        catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'NoCredentials,*'
        $failure.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $failure.Exception.Message | Should -Match 'Bedrock API key'
        $failure.Exception.Message | Should -Match 'AWS keys \(SigV4\)'
        $failure.Exception.Message | Should -Not -Match ([regex]::Escape($token))
        Get-TestObjects $endpoint -Bucket bearer -Prefix 'again/' | Should -BeNullOrEmpty
    }
}
