@{
    RootModule           = if ($PSEdition -eq 'Core') { 'core/BedrockImport.dll' } else { 'desktop/BedrockImport.dll' }
    # Stamped by build.ps1 Build from ModuleVersion in Directory.Build.props, the one place the version is typed.
    ModuleVersion        = '0.0.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    GUID                 = '6b0e8a52-3f4c-4d0e-9d61-2c7f1f0b6a41'
    Author               = 'BedrockImport contributors'
    CompanyName          = 'BedrockImport'
    Copyright            = '(c) BedrockImport contributors. Apache-2.0.'
    Description          = 'Amazon Bedrock Custom Model Import from PowerShell: validate, copy, import, wait for and invoke imported models in one pipeline.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('BedrockImport.format.ps1xml')
    CmdletsToExport      = @(
        'Get-BedrockImportJob'
        'Get-ImportedModel'
        'Get-BedrockImportRolePolicy'
        'Start-BedrockLocalEndpoint'
        'Stop-BedrockLocalEndpoint'
        'Start-BedrockModelImport'
        'Wait-BedrockImportJob'
        'Remove-ImportedModel'
        'Test-BedrockModelSource'
        'New-BedrockSampleModel'
        'Copy-BedrockModelSource'
        'Invoke-ImportedModel'
        'Enter-ImportedModelChat'
        'Get-ImportedModelPrompt'
        'Invoke-ImportedModelEvaluation'
        'Get-BedrockImportQuota'
        'Request-BedrockImportQuotaIncrease'
        'Compare-ImportedModel'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('AWS', 'Bedrock', 'CustomModelImport', 'LLM', 'HuggingFace', 'S3', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            # The licence of LICENSE (Apache-2.0), which the package carries too.
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            # The repository's intended public home; it is not published yet, so check this before a Gallery release.
            ProjectUri   = 'https://github.com/BedrockImport/BedrockImport'
            ReleaseNotes = 'First release: validate a Hugging Face model folder or Hub repository (Test-BedrockModelSource), copy it to S3 with resumable parallel multipart uploads (Copy-BedrockModelSource), import and wait (Start-BedrockModelImport, Wait-BedrockImportJob), invoke, chat and evaluate (Invoke-ImportedModel, Enter-ImportedModelChat, Invoke-ImportedModelEvaluation), quotas, role policies, and an offline local endpoint (Start-BedrockLocalEndpoint).'
        }
    }
}
