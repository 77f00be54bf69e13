; Inno Setup script for Codebook on Windows. Input: the one-folder bundle made by
;   python -m pip install ".[build]" && python packaging\build_bundle.py
; Compile with Inno Setup 6:  iscc packaging\codebook.iss   (output: dist\CodebookSetup.exe)
; Installs per machine into Program Files (read-only for users); user data goes to %LOCALAPPDATA%\Codebook.

#define AppName "Codebook"
#define AppVersion "0.1.0"
#define BundleDir "..\dist\codebook"

[Setup]
AppId={{6E0F3C4B-5D7A-4B8E-9C1D-2A3B4C5D6E7F}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Codebook
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir=..\dist
OutputBaseFilename=CodebookSetup
SetupIconFile=..\resources\icons\codebook.ico
UninstallDisplayIcon={app}\codebook.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\codebook.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\codebook.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"

[Run]
Filename: "{app}\codebook.exe"; Description: "Start Codebook"; Flags: nowait postinstall skipifsilent
