# grubby: iommu-setup edits the BLS entries itself and never calls grubby;
# the stand-in only records that it was called.
exit 0
