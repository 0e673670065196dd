"""PyInstaller hook for webrtcvad, as the ``webrtcvad-wheels`` distribution installs it.

pyinstaller-hooks-contrib's own hook copies the metadata of a distribution named
``webrtcvad``, which is not installed, and the build fails. The module needs no
metadata at run time: its C extension is found by the import analysis.
"""

hiddenimports = ["_webrtcvad"]
