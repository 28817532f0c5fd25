# What an imported model costs: the list view's CMUs column is filled for listed models (the list API leaves it out),
# and Get-ImportedModel -IncludeCost follows from the price table shipped in the built module, worked out here from the
# table's own figures.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $role = 'arn:aws:iam::123456789012:role/BedrockImportTest'

    $script:models = foreach ($name in 'cost-small', 'cost-other') {
        $folder = Join-Path $TestDrive $name
        New-BedrockSampleModel -Path $folder -ShardCount 1 | Out-Null
        Copy-BedrockModelSource $folder "s3://cost/$name/" -CreateBucket |
            Start-BedrockModelImport -ModelName $name -JobName "$name-$((New-Guid).ToString('N').Substring(0, 8))" -RoleArn $role |
            Wait-BedrockImportJob
    }
    $script:tablePath = Join-Path (Split-Path $env:BEDROCKIMPORT_MODULE) 'Pricing/custom-model-import-prices.json'
    $script:table = Get-Content $tablePath -Raw | ConvertFrom-Json
}

AfterAll {
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Get-ImportedModel list view' -Tag 'CI' {
    It 'fills custom model units per copy for every listed model, as GetImportedModel gives them' {
        Reset-TestStats $endpoint
        $listed = @(Get-ImportedModel | Where-Object ModelName -like 'cost-*')
        $listed.Count | Should -Be 2
        foreach ($model in $listed) {
            $model.CustomModelUnitsPerCopy | Should -BeGreaterThan 0
            $model.CustomModelUnitsPerCopy | Should -Be (Get-ImportedModel $model.ModelArn).CustomModelUnitsPerCopy
            $model.CustomModelUnits.CustomModelUnitsVersion | Should -Match '^v\d+\.\d+$'
        }
    }

    It 'calls GetImportedModel once per listed model' {
        $count = @(Get-ImportedModel).Count
        Reset-TestStats $endpoint
        Get-ImportedModel | Out-Null
        Get-TestCallCount $endpoint 'bedrock:ListImportedModels' | Should -Be 1
        Get-TestCallCount $endpoint 'bedrock:GetImportedModel' | Should -Be $count
    }

    It 'shows the number in the CMUs column of the default table, for a listing and for a wildcard' {
        foreach ($output in @((Get-ImportedModel | Out-String -Width 200), (Get-ImportedModel 'cost-*' | Out-String -Width 200))) {
            $lines = $output -split "`r?`n"
            $header = $lines | Where-Object { $_ -match '^ModelName\s' } | Select-Object -First 1
            $header | Should -Not -BeNullOrEmpty
            $column = $header.IndexOf('CMUs')
            foreach ($model in $models) {
                $row = $lines | Where-Object { $_ -like "$($model.ModelName) *" } | Select-Object -First 1
                $row | Should -Not -BeNullOrEmpty
                $row.Substring($column, 5).Trim() | Should -Be "$((Get-ImportedModel $model.ModelArn).CustomModelUnitsPerCopy)"
            }
        }
    }
}

Describe 'Get-ImportedModel -IncludeCost' -Tag 'CI' {
    It 'estimates per copy per 5 minutes, per hour and storage per month from the shipped table' {
        $entry = $table.regions.($endpoint.Region)
        $entry | Should -Not -BeNullOrEmpty -Because "the shipped table has figures for the endpoint's region $($endpoint.Region)"
        $model = Get-ImportedModel cost-small -IncludeCost
        $units = [decimal] $model.CustomModelUnitsPerCopy
        $minute = [decimal] $entry.pricePerCustomModelUnitMinute
        $storage = [decimal] $entry.storagePricePerCustomModelUnitMonth

        $model.PSObject.TypeNames[0] | Should -Be 'BedrockImport.Engine.Bedrock.ImportedModel#Cost'
        $model.ModelArn | Should -Be $models[0].ModelArn
        $model.Cost.Region | Should -Be $endpoint.Region
        $model.Cost.PricePerUnitMinute | Should -Be $minute
        $model.Cost.PricePerCopyPer5Minutes | Should -Be ($units * $minute * 5)
        $model.Cost.PricePerCopyPerHour | Should -Be ($units * $minute * 60)
        $model.Cost.PricePerHour | Should -Be ($units * $minute * 60)
        $model.Cost.StoragePerMonth | Should -Be ($units * $storage)
        $model.Cost.PricesAsOf | Should -Be $table.asOf
        $model.Cost.PriceSource | Should -Be $table.source
        $model.Cost.Currency | Should -Be $table.currency
    }

    It 'multiplies the hourly price by -Copies and takes -PricePerUnitMinute over the table' {
        $model = Get-ImportedModel cost-small -IncludeCost -Copies 3 -PricePerUnitMinute 0.1
        $units = [decimal] $model.CustomModelUnitsPerCopy
        $model.Cost.PricePerCopyPer5Minutes | Should -Be ($units * 0.1 * 5)
        $model.Cost.PricePerHour | Should -Be ($units * 0.1 * 60 * 3)
        $model.Cost.StoragePerMonth | Should -Be ($units * [decimal] $table.regions.($endpoint.Region).storagePricePerCustomModelUnitMonth)
        $model.Cost.PricesAsOf | Should -Be 'parameter'
    }

    It 'adds the estimate to every listed model, and the cost view shows the table''s date' {
        $listed = @(Get-ImportedModel -IncludeCost | Where-Object ModelName -like 'cost-*')
        $listed.Count | Should -Be 2
        $listed.Cost.PricePerCopyPerHour | Should -Not -Contain $null
        $text = $listed | Out-String -Width 200
        $text | Should -Match 'Copy/5min'
        $text | Should -Match ([regex]::Escape($table.asOf))
    }

    It 'uses -PriceTable, and says so when its region has no figure' {
        $path = Join-Path $TestDrive 'prices.json'
        @{ asOf = '2030-01-01'; source = 'test'; currency = 'USD'; regions = @{ 'xx-test-9' = @{ pricePerCustomModelUnitMinute = 1; storagePricePerCustomModelUnitMonth = 1 } } } |
            ConvertTo-Json -Depth 5 | Set-Content $path
        $model = Get-ImportedModel cost-small -IncludeCost -PriceTable $path
        $model.Cost.PricePerCopyPerHour | Should -BeNullOrEmpty
        $model.Cost.Note | Should -Match ([regex]::Escape($endpoint.Region))
        $model.Cost.Note | Should -Match '-PricePerUnitMinute'
        $model.Cost.Note | Should -Match '2030-01-01'
    }

    It 'refuses a price table that is not one with InvalidPriceTable' {
        $path = Join-Path $TestDrive 'broken.json'
        Set-Content $path '{ "regions": '
        $failure = $null
        Get-ImportedModel cost-small -IncludeCost -PriceTable $path -ErrorVariable failure -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failure[0].FullyQualifiedErrorId | Should -Be 'InvalidPriceTable,BedrockImport.Cmdlets.GetImportedModelCommand'
    }
}
