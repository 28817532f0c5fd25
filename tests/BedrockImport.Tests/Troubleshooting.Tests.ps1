# Issue 16: docs/TROUBLESHOOTING.md has one entry ('### Id') per FullyQualifiedErrorId the module can raise, and no other.
# The ids are read from the sources, where the one error catalogue defines them: the engine's IEngineError ids, the AWS
# error codes of AwsErrorCatalog, the framework mappings of ErrorRecords and the ids the cmdlets write themselves.
BeforeAll {
    $root = Join-Path $PSScriptRoot '../..'
    function Get-SourceText([string] $Relative) {
        Get-ChildItem (Join-Path $root $Relative) -Filter *.cs -Recurse | Where-Object { $_.FullName -notmatch '[\\/](obj|bin)[\\/]' } |
            ForEach-Object { [pscustomobject]@{ Name = $_.Name; Text = Get-Content $_.FullName -Raw } }
    }
    function Get-Matches([string] $Text, [string] $Pattern) { [regex]::Matches($Text, $Pattern) | ForEach-Object { $_.Groups[1].Value } }

    $engine = @(Get-SourceText 'src/BedrockImport.Engine')
    $cmdlets = @(Get-SourceText 'src/BedrockImport')
    $ids = [System.Collections.Generic.HashSet[string]]::new()
    foreach ($file in $engine) {
        Get-Matches $file.Text 'ErrorId\s*=>\s*"(\w+)"' | ForEach-Object { $null = $ids.Add($_) }
        Get-Matches $file.Text 'ErrorId\s*=>\s*nameof\((\w+)\)' | ForEach-Object { $null = $ids.Add($_) }
        Get-Matches $file.Text 'new ImportPreflightException\("(\w+)"' | ForEach-Object { $null = $ids.Add($_) }
    }
    $quotaExceptions = ($engine | Where-Object Name -eq 'ImportQuotaExceptions.cs').Text
    Get-Matches $quotaExceptions 'public const string \w+ = "(\w+)";' | ForEach-Object { $null = $ids.Add($_) }

    # Credential problems: the enum's members are the ids, except those the ErrorId switch renames.
    $credentials = ($engine | Where-Object Name -eq 'CredentialResolutionException.cs').Text
    $members = Get-Matches ([regex]::Match($credentials, 'enum CredentialProblem\s*\{([^}]*)\}').Groups[1].Value -replace '///[^\n]*', '') '(\w+)\s*,?'
    $renamed = @{}
    foreach ($match in [regex]::Matches($credentials, 'CredentialProblem\.(\w+)\s*=>\s*"(\w+)"')) { $renamed[$match.Groups[1].Value] = $match.Groups[2].Value }
    foreach ($member in $members) { $null = $ids.Add($(if ($renamed[$member]) { $renamed[$member] } else { $member })) }

    # AWS error codes the catalogue knows, and the module's own UnexpectedResponse.
    $catalogue = ($engine | Where-Object Name -eq 'AwsErrorCatalog.cs').Text
    Get-Matches $catalogue 'Add\(nameof\((\w+)\)' | ForEach-Object { $null = $ids.Add($_) }
    Get-Matches $catalogue 'Add\("(\w+)"' | ForEach-Object { $null = $ids.Add($_) }
    foreach ($list in Get-Matches $catalogue 'new\[\]\s*\{([^}]*)\}') { Get-Matches $list '"(\w+)"' | ForEach-Object { $null = $ids.Add($_) } }
    Get-Matches (($engine | Where-Object Name -eq 'AwsServiceException.cs').Text) 'const string Code = "(\w+)"' | ForEach-Object { $null = $ids.Add($_) }

    foreach ($file in $cmdlets) {
        Get-Matches $file.Text 'ErrorRecords\.Argument\(\s*"(\w+)"' | ForEach-Object { $null = $ids.Add($_) }
        foreach ($call in Get-Matches $file.Text '(?s)new ErrorRecord\((.*?)ErrorCategory\.') { Get-Matches $call '"(\w+)"' | ForEach-Object { $null = $ids.Add($_) } }
        if ($file.Name -eq 'ErrorRecords.cs') { Get-Matches $file.Text 'return \("(\w+)"' | ForEach-Object { $null = $ids.Add($_) } }
    }
    # An AWS error without a code is named after its HTTP status (AwsErrors): one entry covers them all.
    $null = $ids.Add('HttpStatusNNN')
    $script:raised = @($ids | Sort-Object)

    $script:documented = @(Get-Content (Join-Path $root 'docs/TROUBLESHOOTING.md') | Where-Object { $_ -match '^### ' } | ForEach-Object { $_.Substring(4).Trim() })
}

Describe 'docs/TROUBLESHOOTING.md' {
    It 'finds the ids the sources define (the collector still reads them)' {
        $raised | Should -Contain 'InvalidS3Uri'
        $raised | Should -Contain 'ThrottlingException'
        $raised | Should -Contain 'InvalidEndpointUrl'
        $raised.Count | Should -BeGreaterThan 60
    }

    It 'has an entry for every id the module can raise' {
        $raised | Where-Object { $_ -notin $documented } | Should -BeNullOrEmpty
    }

    It 'has no entry for an id the module cannot raise, and none twice' {
        $documented | Where-Object { $_ -notin $raised } | Should -BeNullOrEmpty
        $documented | Group-Object | Where-Object Count -gt 1 | ForEach-Object Name | Should -BeNullOrEmpty
    }
}
