BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    $script:module = Get-Module BedrockImport
    # The manifest picks its root module by edition, which Import-PowerShellDataFile refuses: evaluate it as restricted language.
    $manifestBlock = [scriptblock]::Create((Get-Content $env:BEDROCKIMPORT_MODULE -Raw))
    $manifestBlock.CheckRestrictedLanguage([string[]] @(), [string[]] @('PSEdition'), $false)
    $script:manifest = & $manifestBlock
}

Describe 'Module layout' -Tag 'CI' {
    It 'exports exactly the cmdlets the manifest lists, and the manifest lists every cmdlet in the assembly' {
        $assembly = [BedrockImport.Infrastructure.AsyncCmdlet].Assembly
        $compiled = $assembly.GetTypes() |
            Where-Object { -not $_.IsAbstract -and $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        ($compiled | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'carries the version typed once, as ModuleVersion in Directory.Build.props, in the built manifest and the cmdlet assembly' {
        $root = Join-Path $PSScriptRoot '../..'
        $props = [xml] (Get-Content (Join-Path $root 'Directory.Build.props') -Raw)
        $typed = @($props.Project.PropertyGroup | ForEach-Object { $_.ModuleVersion } | Where-Object { $_ })
        $typed | Should -HaveCount 1
        $version = [version] $typed[0]

        [version] $manifest.ModuleVersion | Should -Be $version
        $module.Version | Should -Be $version
        $assembly = [BedrockImport.Infrastructure.AsyncCmdlet].Assembly
        $assembly.GetName().Version | Should -Be ([version]::new($version.Major, $version.Minor, [Math]::Max($version.Build, 0), [Math]::Max($version.Revision, 0)))
        $informational = $assembly.GetCustomAttributes([System.Reflection.AssemblyInformationalVersionAttribute], $false)[0].InformationalVersion
        ($informational -split '\+')[0] | Should -Be $typed[0]
        # The repository's manifest holds a placeholder, not a second copy of the version.
        Get-Content (Join-Path $root 'BedrockImport.psd1') -Raw | Should -Match "(?m)^\s*ModuleVersion\s*=\s*'0\.0\.0'"
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($name in $module.ExportedCmdlets.Keys) {
            ($name -split '-')[0] | Should -BeIn $approved
        }
    }

    It 'ships the assemblies of the first call precompiled (ReadyToRun) in core/, and the large AWS service assemblies as IL' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        $core = Join-Path (Split-Path $env:BEDROCKIMPORT_MODULE) 'core'
        $isReadyToRun = {
            param($path)
            $pe = [System.Reflection.PortableExecutable.PEReader]::new([System.IO.File]::OpenRead($path))
            try { $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0 } finally { $pe.Dispose() }
        }
        foreach ($file in 'BedrockImport.dll', 'dependencies/BedrockImport.Engine.dll', 'dependencies/AWSSDK.Core.dll') {
            & $isReadyToRun (Join-Path $core $file) | Should -BeTrue -Because "$file is on the path of the first cmdlet of a session"
        }
        & $isReadyToRun (Join-Path $core 'dependencies/AWSSDK.S3.dll') | Should -BeFalse -Because 'an image of it adds 1.6 MB and was measured to buy neither the first call nor CPU per GB uploaded'
    }

    It 'loads the engine and the AWS SDK in a private load context, not the default one' {
        { Get-ImportedModel -Region us-east-1 -ProfileName 'no-such-profile-for-alc-test' -ErrorAction Stop } | Should -Throw
        $default = [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name
        $default | Should -Not -Contain 'BedrockImport.Engine'
        $default | Should -Not -Contain 'AWSSDK.Core'
        $private = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'BedrockImport'
        $private | Should -Not -BeNullOrEmpty
        $private.Assemblies.GetName().Name | Should -Contain 'BedrockImport.Engine'
        $private.Assemblies.GetName().Name | Should -Contain 'AWSSDK.Core'
    }
}

Describe 'AWS common parameters' -Tag 'CI' {
    BeforeDiscovery {
        Import-Module $env:BEDROCKIMPORT_MODULE -Force
        $awsCmdlets = (Get-Command -Module BedrockImport -CommandType Cmdlet | Where-Object { $_.Parameters.ContainsKey('EndpointUrl') }).Name
    }

    It 'is on every cmdlet that calls AWS' -ForEach @(@{ Names = $awsCmdlets }) {
        $Names | Should -Contain 'Invoke-ImportedModel'
        $Names | Should -Contain 'Copy-BedrockModelSource'
        $Names.Count | Should -BeGreaterOrEqual 9
    }

    It '<Command> has -<Parameter> with the AWS.Tools aliases' -ForEach @(
        foreach ($command in $awsCmdlets) {
            @{ Command = $command; Parameter = 'Region'; Aliases = @('RegionToCall') }
            @{ Command = $command; Parameter = 'AccessKey'; Aliases = @('AK') }
            @{ Command = $command; Parameter = 'SecretKey'; Aliases = @('SK', 'SecretAccessKey') }
            @{ Command = $command; Parameter = 'SessionToken'; Aliases = @('ST') }
            @{ Command = $command; Parameter = 'ProfileName'; Aliases = @('StoredCredentials', 'AWSProfileName') }
            @{ Command = $command; Parameter = 'ProfileLocation'; Aliases = @('AWSProfilesLocation', 'ProfilesLocation') }
            @{ Command = $command; Parameter = 'Credential'; Aliases = @() }
            @{ Command = $command; Parameter = 'EndpointUrl'; Aliases = @() }
        }
    ) {
        $parameter = (Get-Command $Command).Parameters[$Parameter]
        $parameter | Should -Not -BeNullOrEmpty
        foreach ($alias in $Aliases) { $parameter.Aliases | Should -Contain $alias }
        $parameter.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Contain $true
    }
}

Describe 'Help' -Tag 'CI' {
    BeforeDiscovery {
        Import-Module $env:BEDROCKIMPORT_MODULE -Force
        $commands = (Get-Command -Module BedrockImport -CommandType Cmdlet).Name
    }

    It '<_> has a synopsis, a description, examples and every parameter described' -ForEach $commands {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -Match "^\s*$_\s*\[" -Because 'a synopsis that is only the syntax means no help was found'
        $help.Synopsis.Trim() | Should -Not -BeNullOrEmpty
        ($help.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        $common = [System.Management.Automation.Internal.CommonParameters].GetProperties().Name + @('WhatIf', 'Confirm')
        foreach ($parameter in (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $described = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            ($described.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $_ needs a description"
        }
    }
}
