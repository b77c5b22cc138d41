# tests/tools/tree_copy.sh - sourced: tree_copy DEST copies the working
# tree as a fresh clone or a release tarball has it (tracked and new,
# not ignored files; no build/, no tests/idp/node_modules) into DEST.
# Run from the tree's top directory.
tree_copy() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		find . -path ./build -prune -o -path ./tests/idp/node_modules -prune -o -type f -print | sed 's|^\./||'
	fi | grep -v -e '^build/' -e '^tests/idp/node_modules/' | while read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - -T - | tar -xf - -C "$1"
}
