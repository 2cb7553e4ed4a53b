# bash completion for iommu-setup(8)                      -*- shell-script -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installed as /usr/share/bash-completion/completions/iommu-setup, where
# bash-completion loads it on first use; it needs nothing from bash-completion
# itself, so `source completion/iommu-setup.bash` works in a plain bash too.
#
# The option sets below mirror verbs[] and the getopt table in src/main.c:
# each verb accepts only its own options besides the global ones.

_iommu_setup_global_opts="--root --verbose --help --version"
# Options that take an argument (as a separate word or after "=").
_iommu_setup_arg_opts="--root --kernel --xml --xml-pool --ids --device --param --command-timeout --hardware"

# _iommu_setup_verb_opts VERB: the options VERB accepts besides the global ones
_iommu_setup_verb_opts()
{
	local request="--ids --device --passthrough --no-passthrough --param --allow-unsafe-interrupts --force --hardware"
	case $1 in
	check | verify) echo "--kernel --json --quiet" ;;
	probe | acpi | rules) echo "--json" ;;
	devices) echo "--kernel --json --groups --xml --xml-pool" ;;
	plan) echo "--kernel --json --quiet $request --exit-code --initramfs --no-initramfs --all-kernels --no-mkconfig" ;;
	apply) echo "--kernel --json --quiet $request --exit-code --initramfs --no-initramfs --all-kernels --no-mkconfig --command-timeout" ;;
	revert) echo "--json --quiet --initramfs --no-initramfs --all-kernels --no-mkconfig --command-timeout" ;;
	snapshot) echo "--kernel --quiet --replace" ;;
	kernel-check) ;;
	*) # no verb yet: options may come before the verb
		echo "--kernel --json --quiet --groups --xml --xml-pool $request --exit-code" \
			"--initramfs --no-initramfs --all-kernels --no-mkconfig --command-timeout --replace" ;;
	esac
}

# _iommu_setup_bdfs ROOT: the PCI functions under ROOT/sys/bus/pci/devices
_iommu_setup_bdfs()
{
	local d
	for d in "${1%/}"/sys/bus/pci/devices/*; do
		[[ -e $d || -L $d ]] && printf '%s\n' "${d##*/}"
	done
}

# _iommu_setup_ids ROOT: the vendor:device IDs of those functions, once each
_iommu_setup_ids()
{
	local d v p
	for d in "${1%/}"/sys/bus/pci/devices/*; do
		[[ -r $d/vendor && -r $d/device ]] || continue
		read -r v <"$d/vendor" || continue
		read -r p <"$d/device" || continue
		printf '%s:%s\n' "${v#0x}" "${p#0x}"
	done | sort -u
}

# _iommu_setup_kernels ROOT: kernel versions with modules under ROOT
_iommu_setup_kernels()
{
	local d
	for d in "${1%/}"/lib/modules/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
}

_iommu_setup()
{
	local -a words=()
	local i w joined=0 wb=${COMP_WORDBREAKS-$' \t\n"\'><=;|&(:'}

	# Undo the split bash makes at "=" and ":" (COMP_WORDBREAKS): "--root=/x"
	# and "0000:01:00.0" are one word each here.
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 0)) && [[ $w =~ ^[=:]+$ ]]; then
			words[${#words[@]} - 1]+=$w
			joined=1
		elif ((joined)); then
			words[${#words[@]} - 1]+=$w
			joined=0
		else
			words+=("$w")
		fi
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words+=("")
	local cword=$((${#words[@]} - 1))
	local cur=${words[cword]} prev=''
	((cword > 0)) && prev=${words[cword - 1]}

	# The root, the verb and whether "--" ended the options, from the words
	# before the cursor.
	local root=/ verb='' endopts=0 takes_arg=0
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if ((takes_arg)); then
			takes_arg=0
			[[ ${words[i - 1]} == --root || ${words[i - 1]} =~ ^-[jqfvhV]*r$ ]] && root=$w
			continue
		fi
		if ((!endopts)) && [[ $w == -- ]]; then
			endopts=1
		elif ((!endopts)) && [[ $w == --* ]]; then
			case $w in
			--root=*) root=${w#--root=} ;;
			--*=*) ;;
			*) [[ " $_iommu_setup_arg_opts " == *" $w "* ]] && takes_arg=1 ;;
			esac
		elif ((!endopts)) && [[ $w == -?* ]]; then
			if [[ $w =~ ^-[jqfvhV]*[rk]$ ]]; then
				takes_arg=1
			elif [[ $w =~ ^-[jqfvhV]*r(.+)$ ]]; then
				root=${BASH_REMATCH[1]}
			fi
		elif [[ -z $verb ]]; then
			verb=$w
		fi
	done
	[[ $root == \~ || $root == \~/* ]] && root=$HOME${root#\~}
	[[ -n $root ]] || root=/

	# What to complete: the value of an option, an option, or an argument.
	local what='' prefix='' val=$cur
	if ((takes_arg)); then
		what=${prev}
	elif ((!endopts)) && [[ $cur == --*=* ]]; then
		what=${cur%%=*}
		prefix=${cur%%=*}=
		val=${cur#*=}
	elif ((!endopts)) && [[ $cur == -* ]]; then
		what=options
	elif [[ -z $verb ]]; then
		what=verbs
	else
		what=args:$verb
	fi
	[[ $what =~ ^-[jqfvhV]*r$ ]] && what=--root
	[[ $what =~ ^-[jqfvhV]*k$ ]] && what=--kernel

	local -a cands=()
	local files=0
	case $what in
	--root)
		mapfile -t cands < <(compgen -d -- "$val")
		files=1
		;;
	--kernel | args:kernel-check) mapfile -t cands < <(compgen -W "$(_iommu_setup_kernels "$root")" -- "$val") ;;
	--device | --xml | --xml-pool | args:probe | args:devices | args:verify)
		mapfile -t cands < <(compgen -W "$(_iommu_setup_bdfs "$root")" -- "$val")
		;;
	--ids) mapfile -t cands < <(compgen -W "$(_iommu_setup_ids "$root")" -- "$val") ;;
	--hardware) mapfile -t cands < <(compgen -W "any intel amd" -- "$val") ;;
	--*) ;; # --param, --command-timeout: free text
	options)
		mapfile -t cands < <(compgen -W "$_iommu_setup_global_opts $(_iommu_setup_verb_opts "$verb")" -- "$val")
		;;
	verbs)
		mapfile -t cands < <(compgen -W "check verify probe acpi devices plan apply revert rules snapshot kernel-check" -- "$val")
		;;
	args:acpi | args:snapshot)
		mapfile -t cands < <(compgen -f -- "$val")
		files=1
		;;
	args:*) # verbs without arguments: their options
		[[ -z $val ]] && mapfile -t cands < <(compgen -W "$_iommu_setup_global_opts $(_iommu_setup_verb_opts "$verb")" -- "")
		;;
	esac
	((files)) && compopt -o filenames 2>/dev/null

	# Readline replaces only the text after the last word-break character of
	# the current word ("0000:01:" stays when completing "0000:01:0").
	local keep=$prefix$val c rest
	case $wb in
	*=*:* | *:*=*) rest=${keep##*[=:]} ;;
	*=*) rest=${keep##*=} ;;
	*:*) rest=${keep##*:} ;;
	*) rest=$keep ;;
	esac
	keep=${keep:0:${#keep}-${#rest}}
	COMPREPLY=()
	for c in "${cands[@]}"; do
		c=$prefix$c
		COMPREPLY+=("${c#"$keep"}")
	done
}

complete -F _iommu_setup iommu-setup
