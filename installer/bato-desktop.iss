; Inno Setup script for Bato Desktop on Windows (optional; see docs/packaging.md).
; Build the bundle first (`pyinstaller --noconfirm build.spec` in the venv), then:
;   iscc installer\bato-desktop.iss            -> dist\installer\bato-desktop-0.1.0-setup.exe
;   iscc /DAppVersion=0.2.0 installer\bato-desktop.iss
; A per-user install (no admin rights): the app keeps its data in %LOCALAPPDATA%\bato-desktop and
; "Start at login" (the app's settings) writes HKCU\...\Run\"Bato Desktop" itself; the
; uninstaller removes that value so nothing starts after uninstalling.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Bato Desktop"
#define AppExe "bato-desktop.exe"
#define BundleDir "..\dist\bato-desktop"

[Setup]
AppId={{6B7C1E0A-5A0E-4B7E-9E43-0B4A7D1C2F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Bato Desktop contributors
DefaultDirName={localappdata}\Programs\Bato Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist\installer
OutputBaseFilename=bato-desktop-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
; Close a running copy (it holds its files open) before installing or uninstalling.
CloseApplications=yes
; SetupIconFile=..\resources\bato-desktop.ico   ; when the .ico exists

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Start-up:"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The same value the app's "Start at login" setting writes (bato_desktop/ui/autostart.py).
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"""; Tasks: autostart; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueName: "{#AppName}"; Flags: uninsdeletevalue dontcreatekey

[Run]
; Prove the installed copy works (the report goes to %LOCALAPPDATA%\bato-desktop\Logs\selftest.txt).
Filename: "{app}\{#AppExe}"; Parameters: "--selftest"; Flags: runhidden waituntilterminated; StatusMsg: "Checking the installation..."
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
