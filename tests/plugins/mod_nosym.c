/* Test module: a shared object that is no dnsfailover plugin. */
int mod_nosym_answer(void);
int mod_nosym_answer(void)
{
	return 42;
}
