# Enter-ImportedModelChat typed into a real terminal: a fresh pwsh runs in a tmux pane, keys go in with send-keys and
# the screen comes back with capture-pane. Once with PSReadLine loaded (the console's own editor), once without it
# (the module's width-aware fallback editor). build.ps1 Test installs Debian's tmux when it is missing.
BeforeAll {
    Import-Module $env:BEDROCKIMPORT_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestEndpoint.psm1') -Force
    $script:endpoint = Start-TestEndpoint -DataPath (Join-Path $TestDrive 'endpoint')
    Set-TestKnobs $endpoint
    $folder = Join-Path $TestDrive 'chat-model'
    New-BedrockSampleModel -Path $folder -ShardCount 1 -ChatTemplate -Response @{ '金管楽器' = 'トランペットです。' } | Out-Null
    Copy-BedrockModelSource $folder 's3://terminal/model/' -CreateBucket |
        Start-BedrockModelImport -ModelName terminalchat -RoleArn 'arn:aws:iam::123456789012:role/Chat' | Wait-BedrockImportJob | Out-Null

    $script:tmux = (Get-Command tmux -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    $script:socket = "bedrockimport-test-$PID"

    function Invoke-Tmux { & $tmux -L $socket @args }

    # Starts the chat in a new 100x30 pane and waits for its first prompt.
    function Start-TerminalChat([string] $Name, [bool] $PSReadLine) {
        if (-not $tmux) {
            $why = if ($env:BEDROCKIMPORT_TMUX_PROBLEM) { $env:BEDROCKIMPORT_TMUX_PROBLEM } else { "'tmux' is not on PATH (build.ps1 Test installs Debian's tmux package when it can)." }
            throw "The terminal tests need tmux: $why"
        }
        $editor = if ($PSReadLine) { 'Import-Module PSReadLine' } else { 'Remove-Module PSReadLine -ErrorAction SilentlyContinue' }
        $script = Join-Path $TestDrive "$Name.ps1"
        @"
`$PSStyle.OutputRendering = 'PlainText'
$editor
Import-Module '$env:BEDROCKIMPORT_MODULE'
Enter-ImportedModelChat terminalchat -EndpointUrl '$($endpoint.EndpointUrl)' -Region '$($endpoint.Region)' -AccessKey '$($endpoint.AccessKey)' -SecretKey '$($endpoint.SecretKey)' -MaxTokens 20
'CHAT ENDED'
Start-Sleep 60
"@ | Set-Content $script -Encoding utf8
        Invoke-Tmux new-session -d -s $Name -x 100 -y 30 "dotnet '$(Join-Path $PSHOME 'pwsh.dll')' -NoProfile -NoLogo -File '$script'"
        $LASTEXITCODE | Should -Be 0
        Wait-Prompt $Name 1 -TimeoutSeconds 60
    }

    # The pane's lines without the blank rows below the cursor.
    function Get-Screen([string] $Name) { ((Invoke-Tmux capture-pane -p -t $Name) -join "`n").TrimEnd() }

    # Waits for a condition on the screen; a miss fails with the screen as it is at the end of the wait.
    function Wait-Screen([string] $Name, [scriptblock] $Condition, [double] $TimeoutSeconds = 30) {
        $met = Wait-TestCondition { & $Condition (Get-Screen $Name) } -TimeoutSeconds $TimeoutSeconds
        $met | Should -BeTrue -Because "the screen was:`n$(Get-Screen $Name)"
    }

    # The text after the last prompt on screen.
    function Get-PromptLine([string] $Name) {
        $line = (Get-Screen $Name) -split "`n" | Where-Object { $_.StartsWith('>>>') } | Select-Object -Last 1
        if ($null -eq $line) { return $null }
        $line.Substring(3).TrimStart(' ').TrimEnd()
    }

    function Send-Text([string] $Name, [string] $Text) { Invoke-Tmux send-keys -t $Name -l $Text }
    function Send-Key([string] $Name) { Invoke-Tmux send-keys -t $Name @args }

    # Waits for the line being edited to read Expected, and gives what it reads.
    function Wait-PromptLine([string] $Name, [string] $Expected) {
        if (-not (Wait-TestCondition { (Get-PromptLine $Name) -ceq $Expected } -TimeoutSeconds 15)) {
            Write-Host "The screen:`n$(Get-Screen $Name)"
        }
        Get-PromptLine $Name
    }

    # Waits for the Count-th prompt: the reply before it has ended and the editor reads again.
    function Wait-Prompt([string] $Name, [int] $Count, [double] $TimeoutSeconds = 30) {
        Wait-Screen $Name { param($screen) @($screen -split "`n" | Where-Object { $_.StartsWith('>>>') }).Count -ge $Count } -TimeoutSeconds $TimeoutSeconds
    }

    # /save, /bye, then the conversation as the chat kept it.
    function Save-Conversation([string] $Name) {
        $saved = Join-Path $TestDrive "$Name.json"
        Send-Text $Name "/save $saved"; Send-Key $Name Enter
        Wait-Screen $Name { Test-Path $saved } -TimeoutSeconds 15
        Send-Text $Name '/bye'; Send-Key $Name Enter
        Wait-Screen $Name { param($screen) $screen.Contains('CHAT ENDED') } -TimeoutSeconds 15
        Get-Content $saved -Raw -Encoding utf8 | ConvertFrom-Json
    }
}

AfterAll {
    if ($tmux) { & $tmux -L $socket kill-server 2>$null }
    Stop-BedrockLocalEndpoint
    $global:PSDefaultParameterValues = @{}
}

Describe 'Enter-ImportedModelChat in a terminal (<Editor>)' -Tag 'CI' -ForEach @(
    @{ Editor = 'PSReadLine'; PSReadLine = $true }
    @{ Editor = 'fallback editor'; PSReadLine = $false }
) {
    It 'erases one wide character per Backspace: 金管楽器です, two Backspaces, shows and sends 金管楽器' {
        $name = "wide-$($PSReadLine)"
        Start-TerminalChat $name $PSReadLine
        Send-Text $name '金管楽器です'
        Wait-PromptLine $name '金管楽器です' | Should -Be '金管楽器です'
        Send-Key $name BSpace BSpace
        Wait-PromptLine $name '金管楽器' | Should -Be '金管楽器'
        Send-Key $name Enter
        Wait-Prompt $name 2
        Get-Screen $name | Should -Match 'トランペットです。'
        $conversation = Save-Conversation $name
        $conversation.messages[0].content | Should -Be '金管楽器'
        $conversation.messages[1].content | Should -Be 'トランペットです。'
    }

    It 'moves the cursor over wide characters and recalls the last message with Up' {
        $name = "cursor-$($PSReadLine)"
        Start-TerminalChat $name $PSReadLine
        Send-Text $name '金管楽器'
        Wait-PromptLine $name '金管楽器' | Out-Null
        Send-Key $name Left Left
        Send-Text $name 'の'
        Wait-PromptLine $name '金管の楽器' | Should -Be '金管の楽器'
        Send-Key $name Home
        Send-Text $name 'A'
        Wait-PromptLine $name 'A金管の楽器' | Should -Be 'A金管の楽器'
        Send-Key $name Enter
        Wait-Prompt $name 2
        Send-Key $name Up
        Wait-PromptLine $name 'A金管の楽器' | Should -Be 'A金管の楽器'
        # tmux leaves the erased wide character of a recalled line on screen until the next character is drawn (with
        # PSReadLine as with the fallback editor; a plain line erases at once, as the test above shows), so the
        # Backspace is followed by a character before the screen is read.
        Send-Key $name BSpace
        Send-Text $name 'Q'
        Wait-PromptLine $name 'A金管の楽Q' | Should -Be 'A金管の楽Q'
        Send-Key $name Enter
        Wait-Prompt $name 3
        $conversation = Save-Conversation $name
        @($conversation.messages | Where-Object role -eq 'user' | ForEach-Object content) | Should -Be @('A金管の楽器', 'A金管の楽Q')
    }
}
