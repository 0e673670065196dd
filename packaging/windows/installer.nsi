; NSIS installer for PVC Sample Editor: wraps the PyInstaller one-folder bundle.
;
;   makensis /DVERSION=0.1.0 /DBUNDLE_DIR=packaging\dist\pvc-sample-editor ^
;            /DICON=packaging\build\icons\pvc-sample-editor.ico /DOUTDIR=packaging\dist ^
;            packaging\windows\installer.nsi
;
; gives OUTDIR\PVC-Sample-Editor-Setup-<VERSION>.exe. Installs for the current user by
; default (no administrator rights, %LOCALAPPDATA%\Programs), or for all users (Program
; Files) when chosen on the install-mode page or with /AllUsers on the command line; /S is
; silent. Adds a Start-menu shortcut, "Open with" for audio files and an uninstaller
; registered in Add/Remove Programs.

Unicode true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z ..."
!endif
!ifndef BUNDLE_DIR
  !error "pass the bundle folder: makensis /DBUNDLE_DIR=...\pvc-sample-editor ..."
!endif
!ifndef ICON
  !error "pass the icon: makensis /DICON=...\pvc-sample-editor.ico ..."
!endif
!ifndef OUTDIR
  !define OUTDIR "."
!endif
!ifndef VERSION_QUAD ; Windows version resources want four numbers
  !define VERSION_QUAD "${VERSION}.0"
!endif
!ifndef LICENSE_FILE
  !define LICENSE_FILE "${__FILEDIR__}\..\..\LICENSE"
!endif

!define APP_NAME "PVC Sample Editor"
!define APP_EXE "pvc-sample-editor.exe"
!define PUBLISHER "PVC Sample Editor developers"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\PVCSampleEditor"
!define APP_KEY "Software\PVC Sample Editor"
!define OPENWITH_KEY "Software\Classes\Applications\${APP_EXE}"

Name "${APP_NAME}"
OutFile "${OUTDIR}\PVC-Sample-Editor-Setup-${VERSION}.exe"
BrandingText "${APP_NAME} ${VERSION}"

; --- per-user by default, all users on request ---------------------------------------------
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${APP_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${APP_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallLocation"
!include "MultiUser.nsh"
!include "MUI2.nsh"
!include "FileFunc.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${LICENSE_FILE}"
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} installer"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Copyright (c) 2026 ${PUBLISHER} (MIT)"

Function .onInit
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function un.onInit
  !insertmacro MULTIUSER_UNINIT
FunctionEnd

Section "${APP_NAME}" SecMain
  SectionIn RO
  ; An upgrade replaces the whole bundle: stale libraries from an older version must go.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE_DIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  ; SHCTX is HKCU for a per-user install and HKLM for all users (set by MultiUser).
  WriteRegStr SHCTX "${APP_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr SHCTX "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINST_KEY}" "UninstallString" \
    '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINST_KEY}" "QuietUninstallString" \
    '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINST_KEY}" "EstimatedSize" "$0"

  ; "Open with" for audio files (the editor takes the file as its argument).
  WriteRegStr SHCTX "${OPENWITH_KEY}" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr SHCTX "${OPENWITH_KEY}\DefaultIcon" "" "$INSTDIR\${APP_EXE},0"
  WriteRegStr SHCTX "${OPENWITH_KEY}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".wav" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".flac" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".ogg" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".opus" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".mp3" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".aif" ""
  WriteRegStr SHCTX "${OPENWITH_KEY}\SupportedTypes" ".aiff" ""
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ; Only what the installer put there: never RMDir /r a folder the user may have chosen.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey SHCTX "${UNINST_KEY}"
  DeleteRegKey SHCTX "${OPENWITH_KEY}"
  DeleteRegKey SHCTX "${APP_KEY}"
SectionEnd
