# update-grub: grub-mkconfig -o /boot/grub/grub.cfg
exec grub-mkconfig -o /boot/grub/grub.cfg "$@"
